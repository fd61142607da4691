import { createNotificationsStore, type Channel } from '../store.js';
import { ProviderFailure, type ChannelProvider } from '../provider.js';

/** How a sandbox misbehaves, set by an operator or a test: fail the next n sends, or every send while down. */
export interface SandboxFaults {
  failNext: number;
  down: boolean;
}

export interface SandboxProvider extends ChannelProvider {
  readonly faults: SandboxFaults;
}

/** Records what it is sent (the embedded mailbox for email, the SMS and push sandboxes) and fails on demand. */
export function createSandboxProvider(channel: Channel): SandboxProvider {
  const faults: SandboxFaults = { failNext: 0, down: false };
  return {
    name: `${channel}-sandbox`,
    embedded: true,
    faults,
    async send(message, tx) {
      if (faults.down) throw new ProviderFailure(`${channel} sandbox is down`);
      if (faults.failNext > 0) {
        faults.failNext -= 1;
        throw new ProviderFailure(`${channel} sandbox failed this send on purpose`);
      }
      await createNotificationsStore(tx).record({
        notification_id: message.id,
        channel,
        recipient: message.recipient,
        subject: message.subject,
        body: message.body,
      });
    },
    async close() {},
  };
}
