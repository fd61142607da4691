import type { Executor } from '../../platform/db/database.js';
import type { Channel } from './store.js';

export interface OutgoingNotification {
  id: string;
  channel: Channel;
  recipient: string;
  subject: string;
  body: string;
}

/** One way of reaching people on one channel: SMTP, or an embedded sandbox that keeps what it was sent. */
export interface ChannelProvider {
  readonly name: string;
  /**
   * Embedded providers record inside `tx`, the transaction that marks the notification sent, so a message is
   * kept exactly once. A remote provider sends outside it, at least once, with the notification id as its
   * idempotency key (the email's Message-ID), and ignores `tx`.
   */
  readonly embedded: boolean;
  send(message: OutgoingNotification, tx: Executor): Promise<void>;
  close(): Promise<void>;
}

export class ProviderFailure extends Error {
  override name = 'ProviderFailure';
}
