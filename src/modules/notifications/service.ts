import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import { platformErrors } from '../../platform/http/errors.js';
import type { SandboxFaults, SandboxProvider } from './providers/sandbox.js';
import { createNotificationsStore, preferencesOf, type Channel, type NotificationRow, type Preferences, type SandboxRow } from './store.js';

export interface NotificationView {
  id: string;
  channel: Channel;
  template: string;
  status: NotificationRow['status'];
  attempts: number;
  createdAt: string;
  sentAt: string | null;
}

export interface SentMessage {
  id: string;
  notificationId: string;
  to: string;
  subject: string;
  text: string;
  createdAt: string;
}

export interface NotificationService {
  preferences(userId: string): Promise<Preferences>;
  /** Merges the change into the current preferences; SMS needs a phone number to send to. */
  setPreferences(userId: string, change: Partial<Preferences>): Promise<Preferences>;
  list(userId: string, limit: number, before?: string): Promise<NotificationView[]>;
  /** What an embedded provider of the channel was handed, newest first. */
  sent(channel: Channel, limit: number, options: { to?: string; before?: string }): Promise<SentMessage[]>;
  /**
   * Merges the change into the channel's sandbox faults, once it is recorded in the audit log as `actor`'s;
   * null (and nothing recorded) when the channel uses a real provider.
   */
  setFaults(channel: Channel, change: Partial<SandboxFaults>, actor: AuditActor): Promise<SandboxFaults | null>;
  /** The channel's sandbox faults as this process holds them; null when the channel uses a real provider. */
  faults(channel: Channel): SandboxFaults | null;
}

const view = (n: NotificationRow): NotificationView => ({
  id: n.id,
  channel: n.channel,
  template: n.template,
  status: n.status,
  attempts: n.attempts,
  createdAt: n.created_at,
  sentAt: n.sent_at,
});

const sentView = (r: SandboxRow): SentMessage => ({
  id: r.id,
  notificationId: r.notification_id,
  to: r.recipient,
  subject: r.subject,
  text: r.body,
  createdAt: r.created_at,
});

export function createNotificationService(database: Database, sandboxes: Partial<Record<Channel, SandboxProvider>>): NotificationService {
  const store = createNotificationsStore(database.db);
  return {
    preferences: async (userId) => preferencesOf(await store.recipient(userId)),

    async setPreferences(userId, change) {
      const next = { ...preferencesOf(await store.recipient(userId)), ...change };
      if (next.sms && next.phone === null) {
        throw platformErrors.error('validation_failed', 'SMS notifications need a phone number', {
          errors: [{ field: 'body.phone', message: 'is required when sms is true' }],
        });
      }
      await store.setPreferences(userId, next);
      return next;
    },

    list: async (userId, limit, before) => (await store.listForUser(userId, limit, before)).map(view),
    sent: async (channel, limit, options) => (await store.sandbox(channel, limit, options)).map(sentView),
    async setFaults(channel, change, actor) {
      const faults = sandboxes[channel]?.faults;
      if (!faults) return null;
      const before = { ...faults };
      const after = { ...faults, ...change };
      // The faults live in this process only: the record commits first, so no change goes unrecorded.
      await database.transaction((tx) => recordAudit(tx, { actor, action: 'sandbox.faults_changed', subject: channel, before, after }));
      Object.assign(faults, change);
      return { ...faults };
    },
    faults(channel) {
      const faults = sandboxes[channel]?.faults;
      return faults ? { ...faults } : null;
    },
  };
}
