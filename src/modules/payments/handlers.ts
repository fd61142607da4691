import type { PaymentMetrics } from './metrics.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import type { Static } from 'typebox';
import type { Database } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';
import type { HandlerContext, Subscription } from '../../platform/messaging/bus.js';
import type { MessageOf } from '../../platform/messaging/contract.js';
import { DeferDelivery } from '../../platform/messaging/retry.js';
import { chargePayment, paymentDeclined, paymentFailed, paymentRefunded, paymentSucceeded, refundPayment } from './messages.js';
import { ProviderUnavailable, type ChargeResult, type PaymentProvider, type RefundResult } from './provider.js';
import { createPaymentsStore } from './store.js';

export type ChargeCommand = Static<typeof chargePayment.schema>;
export type RefundCommand = Static<typeof refundPayment.schema>;

/** The provider key is derived from the order: however often the charge is retried or redelivered, it is one charge. */
export const chargeKey = (orderId: string) => `order:${orderId}:charge`;
export const refundKey = (orderId: string) => `order:${orderId}:refund`;

/** How long work waits while the provider is out: a delay growing with the work's age, up to a ceiling. */
export interface ParkingPolicy {
  minDelayMs: number;
  maxDelayMs: number;
}

function park(occurredAt: string, parking: ParkingPolicy, error: ProviderUnavailable): DeferDelivery {
  const age = Date.now() - Date.parse(occurredAt);
  const delay = Math.min(parking.maxDelayMs, Math.max(parking.minDelayMs, age / 2));
  return new DeferDelivery(Math.round(delay * (0.8 + Math.random() * 0.4)), `parked: ${error.message}`);
}

type Command = MessageOf<typeof chargePayment | typeof refundPayment>;

/**
 * Charges and refunds for the order saga. The provider call happens outside any transaction; its
 * outcome is recorded, with the event that reports it, exactly once. A provider that keeps answering
 * errors turns into payment.failed on the last attempt rather than a dead letter, so the saga can
 * compensate; a provider that cannot be reached parks the charge (the order stays pending) until it
 * comes back or the stock hold runs out.
 */
export function paymentsSubscription(
  database: Database,
  provider: PaymentProvider,
  parking: ParkingPolicy,
  metrics: PaymentMetrics,
  /** Opens the payment token the charge command carries sealed (one sent before sealing passes as it is). */
  secrets: SecretBox,
): Subscription<typeof chargePayment | typeof refundPayment> {
  const store = createPaymentsStore(database.db);

  /** The provider's answer, or why there will be none (the provider failed for good). */
  async function askProvider(
    message: MessageOf<typeof chargePayment>,
    context: HandlerContext,
  ): Promise<{ result: ChargeResult } | { failure: string }> {
    const command = message.data;
    try {
      const result = await provider.charge({
        idempotencyKey: chargeKey(command.orderId),
        amount: command.amount,
        currency: command.currency,
        token: secrets.open(command.token),
        reference: command.orderId,
        lookupFirst: context.attempt > 1,
      });
      return { result };
    } catch (error) {
      if (!(error instanceof ProviderUnavailable)) throw error;
      const payBy = command.payBy ? Date.parse(command.payBy) : Number.POSITIVE_INFINITY;
      if (error.outage && Date.now() < payBy) throw park(message.occurredAt, parking, error);
      if (error.outage || context.attempt >= context.maxAttempts) return { failure: error.message };
      throw error;
    }
  }

  async function charge(message: MessageOf<typeof chargePayment>, context: HandlerContext): Promise<void> {
    const command = message.data;
    const outcome = await askProvider(message, context);
    const now = nowIso();
    const { orderId, userId } = command;
    const applied = await context.apply(async (tx, publish) => {
      const s = createPaymentsStore(tx);
      const payment = {
        id: newId('pay'),
        order_id: orderId,
        user_id: userId,
        amount: command.amount,
        currency: command.currency,
        provider: provider.name,
        provider_refund_id: null,
        created_at: now,
        updated_at: now,
      };
      if ('failure' in outcome) {
        await s.insert({ ...payment, status: 'failed', provider_charge_id: null, failure: outcome.failure });
        await s.attempt({ order_id: orderId, user_id: userId, kind: 'charge', outcome: 'failed', detail: outcome.failure });
        await publish([paymentFailed.event(orderId, { orderId, reason: 'provider_unavailable' })]);
        return;
      }
      const { result } = outcome;
      const succeeded = result.status === 'succeeded';
      await s.insert({
        ...payment,
        status: succeeded ? 'succeeded' : 'declined',
        provider_charge_id: result.chargeId,
        failure: succeeded ? null : result.code,
      });
      await s.attempt({
        order_id: orderId,
        user_id: userId,
        kind: 'charge',
        outcome: result.status,
        detail: succeeded ? null : result.code,
      });
      const paymentId = (await s.byOrder(orderId))!.id;
      await publish([
        succeeded
          ? paymentSucceeded.event(orderId, { orderId, paymentId, amount: command.amount, currency: command.currency })
          : paymentDeclined.event(orderId, { orderId, paymentId, code: result.code }),
      ]);
    });
    if (!applied) return;
    if ('failure' in outcome) metrics.charged(orderId, context.attempt, 'failed', 'provider_unavailable');
    else
      metrics.charged(orderId, context.attempt, outcome.result.status, outcome.result.status === 'declined' ? outcome.result.code : null);
  }

  async function refund(message: MessageOf<typeof refundPayment>, context: HandlerContext): Promise<void> {
    const { orderId, userId } = message.data;
    const payment = await store.byOrder(orderId);
    let refunded: RefundResult | null = null;
    try {
      if (payment?.status === 'succeeded' && payment.provider_charge_id) {
        refunded = await provider.refund({
          idempotencyKey: refundKey(orderId),
          chargeId: payment.provider_charge_id,
          amount: payment.amount,
        });
      }
    } catch (error) {
      // Money owed back is never given up on: an outage parks the refund for as long as it lasts.
      if (error instanceof ProviderUnavailable && error.outage) throw park(message.occurredAt, parking, error);
      throw error;
    }
    await context.apply(async (tx, publish) => {
      const s = createPaymentsStore(tx);
      if (refunded) await s.markRefunded(orderId, refunded.refundId);
      await s.attempt({
        order_id: orderId,
        user_id: userId,
        kind: 'refund',
        outcome: refunded ? 'refunded' : 'nothing_to_refund',
        detail: null,
      });
      await publish([
        paymentRefunded.event(orderId, { orderId, userId, amount: refunded?.amount ?? 0, currency: payment?.currency ?? null }),
      ]);
    });
  }

  return {
    group: 'payments',
    messages: [chargePayment, refundPayment],
    handle: (message: Command, context) => (message.type === chargePayment.type ? charge(message, context) : refund(message, context)),
  };
}
