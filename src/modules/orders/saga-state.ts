import { nowIso } from '../../platform/db/ids.js';
import type { Publish } from '../../platform/messaging/bus.js';
import type { Decision, SagaState } from './saga.js';
import type { OrdersStore } from './store.js';
import { toOrder } from './view.js';

/** Someone moved the saga between our read and our write; the caller reads again and retries. */
export class SagaConflict extends Error {
  override name = 'SagaConflict';
}

export async function loadState(store: OrdersStore, orderId: string): Promise<SagaState | null> {
  const [order, saga] = await Promise.all([store.order(orderId), store.saga(orderId)]);
  if (!order || !saga) return null;
  return { order, saga, lines: await store.linesOf([orderId]) };
}

/**
 * Writes one decision inside the caller's transaction: the saga row (guarded by its version), the
 * order, its timeline, and the messages to send next. Order events carry the order as it now stands.
 * Returns the saga's state as written, for a decision that follows in the same transaction.
 */
export async function applyDecision(
  store: OrdersStore,
  state: SagaState,
  decision: Decision,
  publish: Publish,
  cause: string,
): Promise<SagaState> {
  const now = nowIso();
  const orderId = state.order.id;
  const sagaChanges = { ...decision.saga, last_event: cause, updated_at: now };
  if (!(await store.updateSaga(orderId, state.saga.version, sagaChanges))) throw new SagaConflict(orderId);
  let order = state.order;
  if (Object.keys(decision.order).length > 0) {
    // The payment token is kept only until the charge has an outcome (or the order ends without one): a
    // refund goes by the provider's charge id, which the payments module keeps.
    const settled =
      decision.order.payment_status !== undefined || decision.order.status === 'confirmed' || decision.order.status === 'cancelled';
    const changes = { ...decision.order, ...(settled ? { payment_token: '' } : {}), updated_at: now };
    await store.updateOrder(orderId, changes);
    order = { ...order, ...changes };
  }
  for (const entry of decision.timeline)
    await store.addTimeline({ order_id: orderId, user_id: state.order.user_id, status: entry.status, note: entry.note, at: now });
  const messages = [...decision.publish];
  if (decision.announce.length > 0) {
    const [order, timeline] = await Promise.all([store.order(orderId), store.timelineOf([orderId])]);
    const view = toOrder(order!, state.lines, timeline);
    const base = { orderId, userId: state.order.user_id, order: view };
    // decide() typed each announcement's extra against its contract; here the order completes it.
    for (const { message, extra } of decision.announce) messages.push(message.event(orderId, { ...extra, ...base } as never));
  }
  await publish(messages);
  return { order, lines: state.lines, saga: { ...state.saga, ...sagaChanges, version: state.saga.version + 1 } };
}
