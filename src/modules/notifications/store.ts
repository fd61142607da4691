import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';

export type Channel = 'email' | 'sms' | 'push';
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'push'];
export type NotificationStatus = 'pending' | 'sent' | 'failed';

export interface NotificationTables {
  notification_recipients: {
    user_id: string;
    email: string | null;
    name: string | null;
    email_enabled: number;
    sms_enabled: number;
    push_enabled: number;
    phone: string | null;
    updated_at: string;
  };
  notifications: {
    id: string;
    event_id: string;
    user_id: string;
    channel: Channel;
    template: string;
    recipient: string;
    subject: string;
    body: string;
    status: NotificationStatus;
    attempts: number;
    last_error: string | null;
    created_at: string;
    sent_at: string | null;
  };
  notification_sandbox: {
    id: string;
    notification_id: string;
    channel: Channel;
    recipient: string;
    subject: string;
    body: string;
    created_at: string;
  };
}

export type RecipientRow = Selectable<NotificationTables['notification_recipients']>;
export type NotificationRow = Selectable<NotificationTables['notifications']>;
export type SandboxRow = Selectable<NotificationTables['notification_sandbox']>;

export interface Preferences {
  email: boolean;
  sms: boolean;
  push: boolean;
  phone: string | null;
}

export const DEFAULT_PREFERENCES: Preferences = { email: true, sms: false, push: false, phone: null };

export function preferencesOf(row: RecipientRow | undefined): Preferences {
  if (!row) return DEFAULT_PREFERENCES;
  return { email: row.email_enabled === 1, sms: row.sms_enabled === 1, push: row.push_enabled === 1, phone: row.phone };
}

const columnsOf = (p: Preferences) => ({
  email_enabled: Number(p.email),
  sms_enabled: Number(p.sms),
  push_enabled: Number(p.push),
  phone: p.phone,
});

export function createNotificationsStore(executor: Executor) {
  const db: Kysely<NotificationTables> = asSchema<NotificationTables>(executor);
  return {
    recipient: (userId: string) => db.selectFrom('notification_recipients').selectAll().where('user_id', '=', userId).executeTakeFirst(),

    /** Records the address from user.created without touching preferences a user may already have set. */
    async knowUser(userId: string, email: string, name: string): Promise<void> {
      await db
        .insertInto('notification_recipients')
        .values({ user_id: userId, email, name, ...columnsOf(DEFAULT_PREFERENCES), updated_at: nowIso() })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ email, name }))
        .execute();
    },

    async setPreferences(userId: string, p: Preferences): Promise<void> {
      const values = { ...columnsOf(p), updated_at: nowIso() };
      await db
        .insertInto('notification_recipients')
        .values({ user_id: userId, email: null, name: null, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
        .execute();
    },

    /** False when this (event, user, channel) was recorded before: a notification is made once. */
    async create(
      row: Omit<NotificationRow, 'id' | 'status' | 'attempts' | 'last_error' | 'created_at' | 'sent_at'>,
    ): Promise<string | null> {
      const id = newId('ntf');
      const result = await db
        .insertInto('notifications')
        .values({ ...row, id, status: 'pending', attempts: 0, last_error: null, created_at: nowIso(), sent_at: null })
        .onConflict((oc) => oc.columns(['event_id', 'user_id', 'channel']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1 ? id : null;
    },

    byId: (id: string) => db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst(),

    async markSent(id: string): Promise<void> {
      await db.updateTable('notifications').set({ status: 'sent', sent_at: nowIso(), last_error: null }).where('id', '=', id).execute();
    },

    /** A dead-lettered notification redriven: it is on its way again. */
    async reopen(id: string): Promise<void> {
      await db.updateTable('notifications').set({ status: 'pending' }).where('id', '=', id).where('status', '=', 'failed').execute();
    },

    /** Records a failed attempt; true when it is the one that gave the notification up (a duplicate delivery may race it). */
    async markAttempt(id: string, attempts: number, error: string, failed: boolean): Promise<boolean> {
      const result = await db
        .updateTable('notifications')
        .set({ attempts, last_error: error.slice(0, 500), ...(failed ? { status: 'failed' as const } : {}) })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return failed && Number(result.numUpdatedRows) === 1;
    },

    listForUser(userId: string, limit: number, before?: string) {
      let q = db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
      if (before !== undefined) q = q.where('id', '<', before);
      return q.orderBy('id', 'desc').limit(limit).execute();
    },

    async record(row: Omit<SandboxRow, 'id' | 'created_at'>): Promise<void> {
      await db
        .insertInto('notification_sandbox')
        .values({ ...row, id: newId('snd'), created_at: nowIso() })
        .onConflict((oc) => oc.column('notification_id').doNothing())
        .execute();
    },

    sandbox(channel: Channel, limit: number, options: { to?: string; before?: string }) {
      let q = db.selectFrom('notification_sandbox').selectAll().where('channel', '=', channel);
      if (options.to !== undefined) q = q.where('recipient', '=', options.to);
      if (options.before !== undefined) q = q.where('id', '<', options.before);
      return q.orderBy('id', 'desc').limit(limit).execute();
    },

    async failedByChannel(): Promise<Map<Channel, number>> {
      const rows = await db
        .selectFrom('notifications')
        .select(['channel', db.fn.countAll<number>().as('n')])
        .where('status', '=', 'failed')
        .groupBy('channel')
        .execute();
      return new Map(rows.map((r) => [r.channel, Number(r.n)]));
    },
  };
}
