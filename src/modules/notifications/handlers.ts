import { SpanKind, inSpan } from '../../platform/observability/tracing.js';
import type { Database } from '../../platform/db/database.js';
import type { Subscription } from '../../platform/messaging/bus.js';
import { DeferDelivery } from '../../platform/messaging/retry.js';
import type { BucketStore, Quota } from '../../platform/http/rate-limits/buckets.js';
import { isRefusedFast, type OutboundPolicy } from '../../platform/resilience/outbound.js';
import type { NotificationMetrics } from './metrics.js';
import type { ChannelProvider } from './provider.js';
import { CHANNELS, createNotificationsStore, preferencesOf, type Channel, type RecipientRow } from './store.js';
import { sendNotification } from './messages.js';
import { NOTIFIED, noticeOf, render } from './templates.js';
import { userCreated } from '../identity/messages.js';

export interface ChannelWorker {
  provider: ChannelProvider;
  /** Timeout, breaker and bulkhead around the provider. */
  policy: OutboundPolicy;
}

export interface RateLimits {
  buckets: BucketStore;
  perUser: Quota;
  perChannel: Record<Channel, Quota>;
}

function addressOn(channel: Channel, r: RecipientRow): string | null {
  const p = preferencesOf(r);
  if (channel === 'email') return p.email ? r.email : null;
  if (channel === 'sms') return p.sms ? r.phone : null;
  return p.push ? r.user_id : null;
}

/**
 * Turns each customer-facing event into one notification per channel the customer wants, exactly once per
 * (event, user, channel), and hands each to its channel's workers as a message of its own.
 */
export function fanOutSubscription(): Subscription<(typeof NOTIFIED)[number]> {
  return {
    group: 'notifications',
    messages: NOTIFIED,
    async handle(message, context) {
      const notice = noticeOf(message);
      if (notice === null) return;
      const { userId } = notice;
      await context.apply(async (tx, publish) => {
        const store = createNotificationsStore(tx);
        if (message.type === userCreated.type) await store.knowUser(userId, message.data.user.email, message.data.user.name);
        const recipient = await store.recipient(userId);
        // Everything about a user follows user.created; until it is seen, the address is unknown: try again.
        if (!recipient?.email) throw new Error(`recipient ${userId} not known yet`);
        for (const channel of CHANNELS) {
          const address = addressOn(channel, recipient);
          if (address === null) continue;
          const { subject, body } = render(notice, channel, recipient.name);
          const id = await store.create({
            event_id: message.id,
            user_id: userId,
            channel,
            template: notice.template,
            recipient: address,
            subject,
            body,
          });
          if (id !== null) await publish([sendNotification[channel].event(id, { notificationId: id })]);
        }
      });
    },
  };
}

/**
 * Sends one channel's notifications through its provider: rate-limited per channel (to protect the provider)
 * and per user, retried with backoff by the bus, dead-lettered when retries run out, and redriven from there.
 */
export function channelSubscription(
  channel: Channel,
  database: Database,
  worker: ChannelWorker,
  limits: RateLimits,
  metrics: NotificationMetrics,
): Subscription<(typeof sendNotification)[Channel]> {
  const { provider, policy } = worker;
  const reads = createNotificationsStore(database.db);

  // Waiting for a token does not spend an attempt: a busy provider or a chatty week is not a failure.
  async function admit(userId: string): Promise<void> {
    const buckets: [string, Quota][] = [
      [`notify:${channel}`, limits.perChannel[channel]],
      [`notify:${channel}:${userId}`, limits.perUser],
    ];
    for (const [key, quota] of buckets) {
      const take = await limits.buckets.take(key, quota.quota, quota.windowMs);
      if (!take.allowed) {
        metrics.outcome(channel, 'deferred');
        // Not back the moment one token refills: a held-back crowd would spin through the bus, ahead of
        // newer messages, taking turns at a token each. A second or two, spread out, is nothing to a customer.
        throw new DeferDelivery(Math.max(take.retryAfterMs, 1_000) + Math.round(Math.random() * 1_000), `${key} rate limit`);
      }
    }
  }

  return {
    group: `notifications.${channel}`,
    messages: [sendNotification[channel]],
    async handle(message, context) {
      const { notificationId } = message.data;
      const n = await reads.byId(notificationId);
      if (!n || n.status === 'sent') return;
      if (n.status === 'failed') {
        // Given up by another copy of this delivery (a duplicate): that copy's dead letter is the one to
        // redrive, and counting a second give-up would be wrong. Only a redrive, a fresh budget, tries again.
        if (context.attempt > 1) return;
        await reads.reopen(n.id);
      }
      await admit(n.user_id);
      const outgoing = { id: n.id, channel, recipient: n.recipient, subject: n.subject, body: n.body };
      try {
        const attributes = { 'orderly.notification.id': n.id, 'orderly.notification.channel': channel, 'orderly.provider': provider.name };
        await inSpan(`notification send ${channel}`, SpanKind.CLIENT, attributes, () =>
          policy.execute(async () => {
            if (provider.embedded)
              await context.apply(async (tx) => {
                await provider.send(outgoing, tx);
                await createNotificationsStore(tx).markSent(n.id);
              });
            else await provider.send(outgoing, database.db);
          }),
        );
        if (!provider.embedded) await context.apply((tx) => createNotificationsStore(tx).markSent(n.id));
        metrics.outcome(channel, 'sent');
      } catch (error) {
        if (isRefusedFast(error)) {
          metrics.outcome(channel, 'deferred');
          throw new DeferDelivery(2_000, `${provider.name} is refusing calls: ${(error as Error).message}`);
        }
        const last = context.attempt >= context.maxAttempts;
        const gaveUp = await reads.markAttempt(n.id, context.attempt, error instanceof Error ? error.message : String(error), last);
        if (!last) metrics.outcome(channel, 'retried');
        else if (gaveUp) metrics.outcome(channel, 'dead_lettered');
        throw error;
      }
    },
  };
}
