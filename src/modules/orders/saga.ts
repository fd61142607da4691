import type { EventEnvelope, NewEvent } from '../../platform/messaging/envelope.js';
import type { LineRow, OrderRow, SagaRow } from './store.js';
import { assertTransition, type CancellationReason, type OrderStatus, type PaymentStatus } from './status.js';

/** What the saga knows when it decides: the order, its lines, and its own row. */
export interface SagaState {
  order: OrderRow;
  lines: LineRow[];
  saga: SagaRow;
}

/** One transition: what changes, what the timeline says, and what is sent next — all in one transaction. */
export interface Decision {
  saga: Partial<Pick<SagaRow, 'step' | 'stock' | 'payment' | 'cancel_reason'>>;
  order: Partial<Pick<OrderRow, 'status' | 'payment_status' | 'cancellation_reason' | 'shipment'>>;
  timeline: { status: OrderStatus; note: string }[];
  publish: NewEvent[];
}

type Command = (state: SagaState) => NewEvent;

const command =
  (type: string, extra: (state: SagaState) => Record<string, unknown> = () => ({})): Command =>
  (state) => ({ type, key: state.order.id, data: { orderId: state.order.id, userId: state.order.user_id, ...extra(state) } });

/** A forward step and the step that undoes it, side by side. */
interface Step {
  name: string;
  run: Command;
  compensate: Command;
}

export const reserveStock: Step = {
  name: 'reserve-stock',
  run: command('inventory.reserve', (s) => ({ lines: s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) })),
  compensate: command('inventory.release'),
};

export const chargePayment: Step = {
  name: 'charge-payment',
  run: command('payment.charge', (s) => ({ amount: s.order.total_amount, currency: s.order.currency, token: s.order.payment_token })),
  compensate: command('payment.refund'),
};

export const commitStock: Step = {
  name: 'commit-stock',
  run: command('inventory.commit'),
  compensate: command('inventory.restock'),
};

export const holdShipment = command('shipment.cancel');

const withData = (event: NewEvent, extra: Record<string, unknown>): NewEvent => ({
  ...event,
  data: { ...(event.data as Record<string, unknown>), ...extra },
});

function empty(): Decision {
  return { saga: {}, order: {}, timeline: [], publish: [] };
}

/** Order events carry the order id and owner at the top, so consumers need not parse the whole order. */
export function orderEvent(type: string, order: OrderRow, data: Record<string, unknown> = {}): NewEvent {
  return { type, key: order.id, data: { orderId: order.id, userId: order.user_id, ...data } };
}

function moveOrder(decision: Decision, state: SagaState, to: OrderStatus, note: string): void {
  assertTransition(decision.order.status ?? state.order.status, to);
  decision.order.status = to;
  decision.timeline.push({ status: to, note });
}

/**
 * Undoes what is done, newest first: the payment, then the stock. One compensation per transition;
 * the event that answers it brings the saga back here until nothing is left, and the order is cancelled.
 */
function compensate(state: SagaState, decision: Decision): Decision {
  const saga = { ...state.saga, ...decision.saga };
  if (saga.payment === 'charged') {
    decision.saga.step = 'refunding';
    decision.publish.push(chargePayment.compensate(state));
  } else if (saga.stock === 'held') {
    decision.saga.step = 'releasing';
    decision.publish.push(reserveStock.compensate(state));
  } else if (saga.stock === 'committed') {
    decision.saga.step = 'restocking';
    decision.publish.push(commitStock.compensate(state));
  } else {
    const reason = saga.cancel_reason ?? 'out_of_stock';
    decision.saga.step = 'cancelled';
    decision.order.cancellation_reason = reason;
    moveOrder(decision, state, 'cancelled', `cancelled: ${reason}`);
    decision.publish.push(orderEvent('order.cancelled', state.order, { reason }));
  }
  return decision;
}

function fail(state: SagaState, decision: Decision, reason: CancellationReason): Decision {
  decision.saga.cancel_reason = state.saga.cancel_reason ?? reason;
  return compensate(state, decision);
}

function paymentStatus(decision: Decision, status: PaymentStatus, note: string, state: SagaState): void {
  decision.order.payment_status = status;
  decision.timeline.push({ status: state.order.status, note });
}

/** What the saga expects to hear in each step; anything else is a late duplicate and is ignored. */
const EXPECTS: Record<string, SagaRow['step'][]> = {
  'inventory.reserved': ['reserving'],
  'inventory.reservation_failed': ['reserving'],
  'payment.succeeded': ['charging'],
  'payment.declined': ['charging'],
  'payment.failed': ['charging'],
  'inventory.committed': ['committing'],
  'inventory.commit_failed': ['committing'],
  'payment.refunded': ['refunding'],
  'inventory.released': ['releasing'],
  'inventory.restocked': ['restocking'],
  'shipment.cancelled': ['holding_shipment'],
  'shipment.cancel_refused': ['holding_shipment'],
};

/** The saga's reaction to one event, or null when the event does not apply to its current step. */
export function decide(state: SagaState, event: EventEnvelope): Decision | null {
  const { saga } = state;
  const expected = EXPECTS[event.type];
  if (expected && !expected.includes(saga.step)) return null;
  const d = empty();
  const cancelling = saga.cancel_reason !== null;

  switch (event.type) {
    case 'inventory.reserved':
      d.saga.stock = 'held';
      d.timeline.push({ status: 'pending', note: 'stock reserved' });
      if (cancelling) return compensate(state, d);
      d.saga.step = 'charging';
      d.publish.push(withData(chargePayment.run(state), { payBy: (event.data as { expiresAt?: string }).expiresAt }));
      return d;
    case 'inventory.reservation_failed':
      return fail(state, d, 'out_of_stock');
    case 'payment.succeeded':
      d.saga.payment = 'charged';
      paymentStatus(d, 'succeeded', 'payment succeeded', state);
      if (cancelling) return compensate(state, d);
      d.saga.step = 'committing';
      d.publish.push(commitStock.run(state));
      return d;
    case 'payment.declined':
      paymentStatus(d, 'declined', `payment declined (${String((event.data as { code?: string }).code ?? 'card_declined')})`, state);
      return fail(state, d, 'payment_declined');
    case 'payment.failed':
      paymentStatus(d, 'failed', 'payment failed: the provider did not answer', state);
      return fail(state, d, 'payment_failed');
    case 'inventory.committed':
      d.saga.stock = 'committed';
      if (cancelling) return compensate(state, d);
      d.saga.step = 'confirmed';
      moveOrder(d, state, 'confirmed', 'order confirmed');
      d.publish.push(
        orderEvent('order.confirmed', state.order, {
          total: { amount: state.order.total_amount, currency: state.order.currency },
          items: state.lines.map((l) => ({ variantId: l.variant_id, sku: l.sku, quantity: l.quantity })),
        }),
      );
      return d;
    case 'inventory.commit_failed':
      // The hold expired and the stock was sold meanwhile: give the money back and cancel.
      return fail(state, d, 'out_of_stock');
    case 'payment.refunded':
      d.saga.payment = 'refunded';
      paymentStatus(d, 'refunded', 'payment refunded', state);
      return compensate(state, d);
    case 'inventory.released':
    case 'inventory.restocked':
      d.saga.stock = 'none';
      return compensate(state, d);
    case 'shipment.cancelled':
      return compensate(state, d);
    case 'shipment.cancel_refused':
      d.saga.step = 'confirmed';
      d.saga.cancel_reason = null;
      d.timeline.push({ status: state.order.status, note: 'cancellation refused: the shipment is already on its way' });
      return d;
    default:
      return shipmentProgress(state, event, d);
  }
}

/** Shipment events move a confirmed order on; they are not saga steps and arrive in any step. */
function shipmentProgress(state: SagaState, event: EventEnvelope, d: Decision): Decision | null {
  const shipment = event.data as { shipmentId: string; trackingNumber: string; status: string };
  const copy = JSON.stringify({ id: shipment.shipmentId, trackingNumber: shipment.trackingNumber, status: shipment.status });
  if (event.type === 'shipment.created') {
    d.order.shipment = copy;
    d.timeline.push({ status: state.order.status, note: `shipment ${shipment.trackingNumber} created` });
    return d;
  }
  if (event.type === 'shipment.in_transit' && state.order.status === 'confirmed') {
    d.order.shipment = copy;
    moveOrder(d, state, 'shipped', `shipped with tracking number ${shipment.trackingNumber}`);
    d.publish.push(orderEvent('order.shipped', state.order, { trackingNumber: shipment.trackingNumber }));
    return d;
  }
  if (event.type === 'shipment.delivered' && state.order.status === 'shipped') {
    d.order.shipment = copy;
    moveOrder(d, state, 'delivered', 'delivered');
    d.publish.push(orderEvent('order.delivered', state.order));
    return d;
  }
  return null;
}

/** A cancellation asked for by a customer, an admin or the deadline sweeper. */
export function requestCancellation(state: SagaState, reason: CancellationReason): Decision | null {
  const { saga } = state;
  if (saga.cancel_reason !== null || saga.step === 'cancelled') return null;
  const d = empty();
  d.saga.cancel_reason = reason;
  d.timeline.push({ status: state.order.status, note: `cancellation requested: ${reason}` });
  if (saga.step === 'confirmed') {
    // Stop the shipment first: it is the one authority on whether the goods have left.
    d.saga.step = 'holding_shipment';
    d.publish.push(holdShipment(state));
  }
  return d;
}
