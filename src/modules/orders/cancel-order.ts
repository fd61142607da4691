import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { Principal } from '../../platform/http/auth.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import { ordersErrors } from './errors.js';
import { requestCancellation } from './saga.js';
import { SagaConflict, applyDecision, loadState } from './saga-state.js';
import { canBeCancelled } from './status.js';
import { createOrdersStore, type OrderStatements } from './store.js';
import { toOrder, type Order } from './view.js';

/**
 * Asks for an order's cancellation. Before shipping it is accepted (the saga refunds and restocks
 * asynchronously); after shipping it is refused with order_not_cancellable. Idempotent. Resolves to the
 * order as the cancellation left it, read in the same transaction. An admin's cancellation is recorded in
 * the audit log as `actor`'s (the refund and restock it sets off follow from it).
 */
export async function cancelOrder(
  bus: MessageBus,
  statements: OrderStatements,
  principal: Principal,
  orderId: string,
  actor: AuditActor,
): Promise<Order> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      return await bus.transaction(async (tx, publish) => {
        const store = createOrdersStore(tx, statements);
        const state = await loadState(store, orderId);
        if (!state || (principal.role !== 'admin' && state.order.user_id !== principal.userId))
          throw platformErrors.error('not_found', `No order ${orderId}`);
        if (state.order.status !== 'cancelled') {
          if (!canBeCancelled(state.order.status))
            throw ordersErrors.error('order_not_cancellable', `The order is ${state.order.status}; it can no longer be cancelled`);
          const reason = principal.role === 'admin' && principal.userId !== state.order.user_id ? 'admin_request' : 'customer_request';
          const decision = requestCancellation(state, reason);
          if (decision) await applyDecision(store, state, decision, publish, `cancel requested by ${principal.userId}`);
          // The saga refunds a payment taken and restocks as it winds the order down: the admin's act is the request.
          if (decision && principal.role === 'admin') {
            await recordAudit(tx, {
              actor,
              action: 'order.cancelled',
              subject: orderId,
              before: { status: state.order.status, payment: state.order.payment_status, cancellationReason: null },
              after: { status: state.order.status, payment: state.order.payment_status, cancellationReason: reason },
            });
          }
        }
        const [order, timeline] = await Promise.all([store.order(orderId), store.timelineOf([orderId])]);
        const view = toOrder(order!, state.lines, timeline);
        await answerWithin(tx, view);
        return view;
      });
    } catch (error) {
      if (!(error instanceof SagaConflict)) throw error;
    }
  }
  throw platformErrors.error('unavailable', 'The order is changing right now; try again', { headers: { 'retry-after': '1' } });
}
