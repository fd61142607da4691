import type { Static } from 'typebox';
import type { EventEnvelope, NewEvent } from '../../platform/messaging/envelope.js';
import {
  holdShipment,
  shipmentCancelled,
  shipmentCancelRefused,
  shipmentCreated,
  shipmentDelivered,
  shipmentInTransit,
} from '../shipping/messages.js';
import { orderCancelled, orderConfirmed, orderDelivered, orderShipped } from './messages.js';
import { STEPS, type SagaState, type Step, type Told } from './saga-steps.js';
import { assertTransition, type CancellationReason, type OrderStatus } from './status.js';
import type { OrderRow, SagaRow } from './store.js';

export type { SagaState } from './saga-steps.js';

/** What the saga reads of an answer: a message handled, or an answer given in its own transaction. */
export type SagaEvent = Pick<EventEnvelope, 'type' | 'data'>;

type OrderEvent = typeof orderCancelled | typeof orderConfirmed | typeof orderShipped | typeof orderDelivered;

/** An order event to publish once the decision is applied, when the order as it then stands can be put in it. */
export interface Announcement {
  message: OrderEvent;
  extra: Record<string, unknown>;
}

function announce<C extends OrderEvent>(message: C, extra: Omit<Static<C['schema']>, 'orderId' | 'userId' | 'order'>): Announcement {
  return { message, extra };
}

/** One transition: what changes, what the timeline says, and what is sent next — all in one transaction. */
export interface Decision {
  saga: Partial<Pick<SagaRow, 'step' | 'stock' | 'payment' | 'cancel_reason'>>;
  order: Partial<Pick<OrderRow, 'status' | 'payment_status' | 'cancellation_reason' | 'shipment'>>;
  timeline: { status: OrderStatus; note: string }[];
  /** Commands to other modules. */
  publish: NewEvent[];
  announce: Announcement[];
}

function empty(): Decision {
  return { saga: {}, order: {}, timeline: [], publish: [], announce: [] };
}

function moveOrder(decision: Decision, state: SagaState, to: OrderStatus, note: string): void {
  assertTransition(decision.order.status ?? state.order.status, to);
  decision.order.status = to;
  decision.timeline.push({ status: to, note });
}

function tell(decision: Decision, state: SagaState, told: Told): void {
  if (told.payment) decision.order.payment_status = told.payment;
  if (told.note) decision.timeline.push({ status: state.order.status, note: told.note });
}

/**
 * Undoes what the steps recorded, newest step first: one undo per transition, and the answer to it brings
 * the saga back here until nothing is left to undo; then the order is cancelled.
 */
function compensate(state: SagaState, decision: Decision): Decision {
  const saga = { ...state.saga, ...decision.saga };
  for (const step of [...STEPS].reverse()) {
    if (!step.undo?.needed(saga)) continue;
    decision.saga.step = step.undo.awaiting;
    decision.publish.push(step.undo.command(state));
    return decision;
  }
  const reason = saga.cancel_reason ?? 'out_of_stock';
  decision.saga.step = 'cancelled';
  decision.order.cancellation_reason = reason;
  moveOrder(decision, state, 'cancelled', `cancelled: ${reason}`);
  decision.announce.push(announce(orderCancelled, { reason }));
  return decision;
}

/** The next step's command, or the order confirmed once every step succeeded. */
function advance(state: SagaState, decision: Decision, done: Step, answer: unknown): Decision {
  const next = STEPS[STEPS.indexOf(done) + 1];
  if (next) {
    decision.saga.step = next.awaiting;
    decision.publish.push(next.run(state, answer));
    return decision;
  }
  decision.saga.step = 'confirmed';
  moveOrder(decision, state, 'confirmed', 'order confirmed');
  decision.announce.push(
    announce(orderConfirmed, {
      total: { amount: state.order.total_amount, currency: state.order.currency },
      items: state.lines.map((l) => ({ variantId: l.variant_id, sku: l.sku, quantity: l.quantity })),
    }),
  );
  return decision;
}

/**
 * The saga's reaction to one event, or null when the event does not apply to its current step (a late
 * duplicate). Pure: it reads the state it is given and returns what to write and send.
 */
export function decide(state: SagaState, event: SagaEvent): Decision | null {
  const { saga } = state;
  const d = empty();
  const step = STEPS.find((s) => s.awaiting === saga.step && s.answers.some((a) => a.type === event.type));
  if (step) {
    const outcome = step.answers.find((a) => a.type === event.type)!.outcome(event.data);
    tell(d, state, outcome.told);
    if (!outcome.ok) {
      d.saga.cancel_reason = saga.cancel_reason ?? outcome.reason;
      return compensate(state, d);
    }
    Object.assign(d.saga, outcome.recorded);
    return saga.cancel_reason !== null ? compensate(state, d) : advance(state, d, step, event.data);
  }

  const undone = STEPS.find((s) => s.undo?.awaiting === saga.step && s.undo.answer === event.type)?.undo;
  if (undone) {
    Object.assign(d.saga, undone.recorded);
    tell(d, state, undone.told);
    return compensate(state, d);
  }

  if (saga.step === 'holding_shipment' && event.type === shipmentCancelled.type) return compensate(state, d);
  if (saga.step === 'holding_shipment' && event.type === shipmentCancelRefused.type) {
    d.saga.step = 'confirmed';
    d.saga.cancel_reason = null;
    d.timeline.push({ status: state.order.status, note: 'cancellation refused: the shipment is already on its way' });
    return d;
  }
  return shipmentProgress(state, event, d);
}

/** Shipment events move a confirmed order on; they are not saga steps and arrive in any step. */
function shipmentProgress(state: SagaState, event: SagaEvent, d: Decision): Decision | null {
  const moved = [shipmentCreated, shipmentInTransit, shipmentDelivered].find((m) => m.type === event.type);
  if (!moved?.is(event.data)) return null;
  const shipment = event.data;
  const copy = JSON.stringify({ id: shipment.shipmentId, trackingNumber: shipment.trackingNumber, status: shipment.status });
  if (moved === shipmentCreated) {
    d.order.shipment = copy;
    d.timeline.push({ status: state.order.status, note: `shipment ${shipment.trackingNumber} created` });
    return d;
  }
  if (moved === shipmentInTransit && state.order.status === 'confirmed') {
    d.order.shipment = copy;
    moveOrder(d, state, 'shipped', `shipped with tracking number ${shipment.trackingNumber}`);
    d.announce.push(announce(orderShipped, { trackingNumber: shipment.trackingNumber }));
    return d;
  }
  if (moved === shipmentDelivered && state.order.status === 'shipped') {
    d.order.shipment = copy;
    moveOrder(d, state, 'delivered', 'delivered');
    d.announce.push(announce(orderDelivered, {}));
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
    d.publish.push(holdShipment.event(state.order.id, { orderId: state.order.id, userId: state.order.user_id }));
  }
  return d;
}
