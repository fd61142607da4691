import type { Logger } from '../../platform/observability/logger.js';
import type { MessageBus, Subscription } from '../../platform/messaging/bus.js';
import type { Database } from '../../platform/db/database.js';
import { commitFailed, orderRestocked, reservationFailed, stockCommitted, stockReleased, stockReserved } from '../inventory/messages.js';
import { paymentDeclined, paymentFailed, paymentRefunded, paymentSucceeded } from '../payments/messages.js';
import { shipmentCancelled, shipmentCancelRefused, shipmentCreated, shipmentDelivered, shipmentInTransit } from '../shipping/messages.js';
import { decide, requestCancellation } from './saga.js';
import { SagaConflict, applyDecision, loadState } from './saga-state.js';
import { applyAndFollow, type Applied, type InlineCommands } from './saga-follow.js';
import { createOrdersStore, type OrderStatements } from './store.js';
import type { OrderMetrics, SagaTransition } from './metrics.js';
import type { Decision, SagaState } from './saga.js';

/** Every answer the saga waits for: its steps' outcomes and undos, and the shipment's news. */
const SAGA_EVENTS = [
  stockReserved,
  reservationFailed,
  stockCommitted,
  commitFailed,
  stockReleased,
  orderRestocked,
  paymentSucceeded,
  paymentDeclined,
  paymentFailed,
  paymentRefunded,
  shipmentCreated,
  shipmentInTransit,
  shipmentDelivered,
  shipmentCancelled,
  shipmentCancelRefused,
] as const;

/** The orchestrator: each event the saga waits for moves it one step, in one transaction with what it sends next. */
export function ordersSubscription(
  logger: Logger,
  metrics: OrderMetrics,
  statements: OrderStatements,
  inline: InlineCommands | null,
): Subscription<(typeof SAGA_EVENTS)[number]> {
  return {
    group: 'orders',
    messages: SAGA_EVENTS,
    async handle(message, context) {
      const { orderId } = message.data;
      let applied: Applied[] = [];
      // A version conflict (a cancellation landed in between) rolls back and is retried with backoff.
      await context.apply(async (tx, publish) => {
        const store = createOrdersStore(tx, statements);
        const state = await loadState(store, orderId);
        if (!state) throw new Error(`event ${message.type} for unknown order ${orderId}`);
        const decision = decide(state, message);
        if (decision === null) {
          logger.debug({ orderId, type: message.type, step: state.saga.step }, 'saga ignored an event that does not apply to its step');
          return;
        }
        ({ applied } = await applyAndFollow(tx, store, { state, decision, cause: message.type }, publish, inline));
      });
      for (const step of applied) recordStep(logger, metrics, step, context.attempt);
    },
  };
}

/** Counts and logs one written decision, and the order's outcome when it ended the saga. */
export function recordStep(logger: Logger, metrics: OrderMetrics, { state, decision, cause }: Applied, attempt: number): void {
  const moved = transitionOf(state, decision, cause, attempt);
  metrics.stepped(moved);
  logTransition(logger, moved);
  const status = decision.order.status;
  if (status === 'confirmed' || status === 'cancelled')
    metrics.completed(status, decision.order.cancellation_reason ?? null, state.order.created_at);
}

/** What one event did to a saga: the step it left, after how long there, and where it went. */
function transitionOf(state: SagaState, decision: Decision, event: string, attempt: number): SagaTransition {
  const reason = decision.saga.cancel_reason ?? state.saga.cancel_reason;
  const to = decision.saga.step ?? state.saga.step;
  return {
    orderId: state.order.id,
    step: state.saga.step,
    to,
    event,
    attempt,
    outcome: to === 'cancelled' ? 'cancelled' : reason ? 'compensating' : 'ok',
    reason: reason ?? null,
    seconds: (Date.now() - Date.parse(state.saga.updated_at)) / 1000,
  };
}

function logTransition(logger: Logger, t: SagaTransition): void {
  const line = {
    orderId: t.orderId,
    step: t.step,
    to: t.to,
    event: t.event,
    attempt: t.attempt,
    reason: t.reason,
    ms: Math.round(t.seconds * 1000),
  };
  if (t.outcome === 'ok') logger.info(line, 'saga step');
  else logger.warn(line, t.outcome === 'cancelled' ? 'saga cancelled the order' : 'saga compensating');
}

/** Sagas past their deadline get a cancellation request ('expired'); the saga compensates at its next event. */
export async function expireOverdueSagas(
  database: Database,
  bus: MessageBus,
  statements: OrderStatements,
  now = new Date(),
): Promise<number> {
  const overdue = await createOrdersStore(database.db, statements).overdueSagas(now.toISOString(), 100);
  let expired = 0;
  for (const row of overdue) {
    try {
      await bus.transaction(async (tx, publish) => {
        const store = createOrdersStore(tx, statements);
        const state = await loadState(store, row.order_id);
        const decision = state && requestCancellation(state, 'expired');
        if (state && decision) {
          await applyDecision(store, state, decision, publish, 'deadline passed');
          expired += 1;
        }
      });
    } catch (error) {
      if (!(error instanceof SagaConflict)) throw error;
    }
  }
  return expired;
}
