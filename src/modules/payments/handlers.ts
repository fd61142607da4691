import { newId, nowIso } from '../../platform/db/ids.js';
import type { HandlerContext, Subscription } from '../../platform/messaging/bus.js';
import type { EventEnvelope } from '../../platform/messaging/envelope.js';
import { DeferDelivery } from '../../platform/messaging/retry.js';
import type { Database } from '../../platform/db/database.js';
import { ProviderUnavailable, type PaymentProvider, type RefundResult } from './provider.js';
import { paymentsStore } from './store.js';

export interface ChargeCommand {
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  token: string;
  /** The stock hold's expiry: a charge parked by a provider outage gives up after this. */
  payBy?: string;
}
export interface RefundCommand {
  orderId: string;
  userId: string;
}

/** The provider key is derived from the order: however often the charge is retried or redelivered, it is one charge. */
export const chargeKey = (orderId: string) => `order:${orderId}:charge`;
export const refundKey = (orderId: string) => `order:${orderId}:refund`;

/** How long work waits while the provider is out: a delay growing with the work's age, up to a ceiling. */
export interface ParkingPolicy {
  minDelayMs: number;
  maxDelayMs: number;
}

function park(message: EventEnvelope, parking: ParkingPolicy, error: ProviderUnavailable): DeferDelivery {
  const age = Date.now() - Date.parse(message.occurredAt);
  const delay = Math.min(parking.maxDelayMs, Math.max(parking.minDelayMs, age / 2));
  return new DeferDelivery(Math.round(delay * (0.8 + Math.random() * 0.4)), `parked: ${error.message}`);
}

/**
 * Charges and refunds for the order saga. The provider call happens outside any transaction; its
 * outcome is recorded, with the event that reports it, exactly once. A provider that keeps answering
 * errors turns into payment.failed on the last attempt rather than a dead letter, so the saga can
 * compensate; a provider that cannot be reached parks the charge (the order stays pending) until it
 * comes back or the stock hold runs out.
 */
export function paymentsSubscription(database: Database, provider: PaymentProvider, parking: ParkingPolicy): Subscription {
  const store = paymentsStore(database.db);

  async function charge(command: ChargeCommand, message: EventEnvelope, context: HandlerContext) {
    try {
      return {
        result: await provider.charge({
          idempotencyKey: chargeKey(command.orderId),
          amount: command.amount,
          currency: command.currency,
          token: command.token,
          reference: command.orderId,
          lookupFirst: context.attempt > 1,
        }),
      };
    } catch (error) {
      if (!(error instanceof ProviderUnavailable)) throw error;
      const payBy = command.payBy ? Date.parse(command.payBy) : Number.POSITIVE_INFINITY;
      if (error.outage && Date.now() < payBy) throw park(message, parking, error);
      if (error.outage || context.attempt >= context.maxAttempts) return { failure: error.message };
      throw error;
    }
  }

  return {
    group: 'payments',
    types: ['payment.charge', 'payment.refund'],
    async handle(message, context) {
      if (message.type === 'payment.charge') {
        const command = message.data as ChargeCommand;
        const outcome = await charge(command, message, context);
        const now = nowIso();
        await context.apply(async (tx, publish) => {
          const s = paymentsStore(tx);
          const base = {
            id: newId('pay'),
            order_id: command.orderId,
            user_id: command.userId,
            amount: command.amount,
            currency: command.currency,
            provider: provider.name,
            provider_refund_id: null,
            created_at: now,
            updated_at: now,
          };
          if ('failure' in outcome) {
            await s.insert({ ...base, status: 'failed', provider_charge_id: null, failure: outcome.failure ?? 'provider unavailable' });
            await s.attempt({
              order_id: command.orderId,
              user_id: command.userId,
              kind: 'charge',
              outcome: 'failed',
              detail: outcome.failure ?? null,
            });
            await publish([
              { type: 'payment.failed', key: command.orderId, data: { orderId: command.orderId, reason: 'provider_unavailable' } },
            ]);
            return;
          }
          const { result } = outcome;
          const succeeded = result.status === 'succeeded';
          await s.insert({
            ...base,
            status: succeeded ? 'succeeded' : 'declined',
            provider_charge_id: result.chargeId,
            failure: succeeded ? null : result.code,
          });
          await s.attempt({
            order_id: command.orderId,
            user_id: command.userId,
            kind: 'charge',
            outcome: result.status,
            detail: succeeded ? null : result.code,
          });
          const paymentId = (await s.byOrder(command.orderId))!.id;
          await publish([
            succeeded
              ? {
                  type: 'payment.succeeded',
                  key: command.orderId,
                  data: { orderId: command.orderId, paymentId, amount: command.amount, currency: command.currency },
                }
              : { type: 'payment.declined', key: command.orderId, data: { orderId: command.orderId, paymentId, code: result.code } },
          ]);
        });
        return;
      }

      const { orderId, userId } = message.data as RefundCommand;
      const payment = await store.byOrder(orderId);
      let refund: RefundResult | null = null;
      try {
        if (payment?.status === 'succeeded' && payment.provider_charge_id) {
          refund = await provider.refund({
            idempotencyKey: refundKey(orderId),
            chargeId: payment.provider_charge_id,
            amount: payment.amount,
          });
        }
      } catch (error) {
        // Money owed back is never given up on: an outage parks the refund for as long as it lasts.
        if (error instanceof ProviderUnavailable && error.outage) throw park(message, parking, error);
        throw error;
      }
      await context.apply(async (tx, publish) => {
        const s = paymentsStore(tx);
        if (refund) await s.markRefunded(orderId, refund.refundId);
        await s.attempt({
          order_id: orderId,
          user_id: userId,
          kind: 'refund',
          outcome: refund ? 'refunded' : 'nothing_to_refund',
          detail: null,
        });
        await publish([
          {
            type: 'payment.refunded',
            key: orderId,
            data: { orderId, userId, amount: refund?.amount ?? 0, currency: payment?.currency ?? null },
          },
        ]);
      });
    },
  };
}
