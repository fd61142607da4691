import type { Static } from 'typebox';
import type { MessageContract } from '../../platform/messaging/contract.js';
import type { NewEvent } from '../../platform/messaging/envelope.js';
import {
  commitFailed,
  commitStock,
  orderRestocked,
  releaseStock,
  reservationFailed,
  reserveStock,
  restockOrder,
  stockCommitted,
  stockReleased,
  stockReserved,
} from '../inventory/messages.js';
import { chargePayment, paymentDeclined, paymentFailed, paymentRefunded, paymentSucceeded, refundPayment } from '../payments/messages.js';
import type { CancellationReason, PaymentStatus } from './status.js';
import type { LineRow, OrderRow, SagaRow, SagaStep } from './store.js';

/** What the saga knows when it decides: the order, its lines, and its own row. */
export interface SagaState {
  order: OrderRow;
  lines: LineRow[];
  saga: SagaRow;
}

/** What a step's result writes on the saga row: what its undo will need. */
export type Recorded = Partial<Pick<SagaRow, 'stock' | 'payment'>>;

/** What an answer tells the order on its way: its payment status and a line of its timeline. */
export interface Told {
  payment?: PaymentStatus;
  note?: string;
}

/** An answer to a step's command: it succeeded (recording what it did), or it failed (and why). */
export type Outcome = { ok: true; recorded: Recorded; told: Told } | { ok: false; reason: CancellationReason; told: Told };

/** An answer a step waits for, and what it means. */
export interface Answer {
  type: string;
  outcome(data: unknown): Outcome;
}

/** The bus delivers only payloads that match their contract, so the data an answer reads is of its type. */
function on<C extends MessageContract>(message: C, outcome: (data: Static<C['schema']>) => Outcome): Answer {
  return { type: message.type, outcome: (data) => outcome(data as Static<C['schema']>) };
}

/** How a step is undone once it recorded something, and what its undo's answer records. */
export interface Undo {
  awaiting: SagaStep;
  needed(saga: SagaRow): boolean;
  command(state: SagaState): NewEvent;
  answer: string;
  recorded: Recorded;
  told: Told;
}

/**
 * A forward step of the saga, beside the step that undoes it (as Medusa's steps carry their compensation).
 * `run` sends the command; the answers it waits for are `answers`; a success records on the saga what the
 * undo needs; `undo` is asked, newest step first, whenever the saga compensates.
 */
export interface Step {
  name: string;
  awaiting: SagaStep;
  /** `previous`: the data of the previous step's success (the stock hold's expiry, for the charge). */
  run(state: SagaState, previous: unknown): NewEvent;
  answers: readonly Answer[];
  undo: Undo | null;
}

const ref = (state: SagaState) => ({ orderId: state.order.id, userId: state.order.user_id });

export const reserveStockStep: Step = {
  name: 'reserve-stock',
  awaiting: 'reserving',
  run: (state) =>
    reserveStock.event(state.order.id, { ...ref(state), lines: state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) }),
  answers: [
    on(stockReserved, () => ({ ok: true, recorded: { stock: 'held' }, told: { note: 'stock reserved' } })),
    on(reservationFailed, () => ({ ok: false, reason: 'out_of_stock', told: {} })),
  ],
  undo: {
    awaiting: 'releasing',
    needed: (saga) => saga.stock === 'held',
    command: (state) => releaseStock.event(state.order.id, ref(state)),
    answer: stockReleased.type,
    recorded: { stock: 'none' },
    told: {},
  },
};

export const chargePaymentStep: Step = {
  name: 'charge-payment',
  awaiting: 'charging',
  run: (state, previous) =>
    chargePayment.event(state.order.id, {
      ...ref(state),
      amount: state.order.total_amount,
      currency: state.order.currency,
      token: state.order.payment_token,
      // A charge parked by a provider outage gives up when the stock hold does.
      ...(stockReserved.is(previous) ? { payBy: previous.expiresAt } : {}),
    }),
  answers: [
    on(paymentSucceeded, () => ({ ok: true, recorded: { payment: 'charged' }, told: { payment: 'succeeded', note: 'payment succeeded' } })),
    on(paymentDeclined, (data) => ({
      ok: false,
      reason: 'payment_declined',
      told: { payment: 'declined', note: `payment declined (${data.code})` },
    })),
    on(paymentFailed, () => ({
      ok: false,
      reason: 'payment_failed',
      told: { payment: 'failed', note: 'payment failed: the provider did not answer' },
    })),
  ],
  undo: {
    awaiting: 'refunding',
    needed: (saga) => saga.payment === 'charged',
    command: (state) => refundPayment.event(state.order.id, ref(state)),
    answer: paymentRefunded.type,
    recorded: { payment: 'refunded' },
    told: { payment: 'refunded', note: 'payment refunded' },
  },
};

export const commitStockStep: Step = {
  name: 'commit-stock',
  awaiting: 'committing',
  run: (state) => commitStock.event(state.order.id, ref(state)),
  answers: [
    on(stockCommitted, () => ({ ok: true, recorded: { stock: 'committed' }, told: {} })),
    // The hold expired and the stock was sold meanwhile: the money goes back and the order is cancelled.
    on(commitFailed, () => ({ ok: false, reason: 'out_of_stock', told: {} })),
  ],
  undo: {
    awaiting: 'restocking',
    needed: (saga) => saga.stock === 'committed',
    command: (state) => restockOrder.event(state.order.id, ref(state)),
    answer: orderRestocked.type,
    recorded: { stock: 'none' },
    told: {},
  },
};

/** The forward steps in order; once the last succeeds, the order is confirmed. Compensation walks them backwards. */
export const STEPS: readonly Step[] = [reserveStockStep, chargePaymentStep, commitStockStep];
