import type { TrailMessage } from '../platform/messaging/message-trail.js';
import type { StockHold } from '../modules/inventory/index.js';
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
} from '../modules/inventory/index.js';
import { chargePayment, paymentDeclined, paymentFailed, paymentRefunded, refundPayment } from '../modules/payments/index.js';
import { paymentSucceeded } from '../modules/payments/index.js';
import { holdShipment, shipmentCancelled, shipmentCancelRefused } from '../modules/shipping/index.js';

export interface SagaStepView {
  name: string;
  kind: 'step' | 'compensation';
  status: 'succeeded' | 'failed' | 'pending';
  attempts: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A saga command, the answers that end it either way, and how a failing answer reads. */
interface StepTrace {
  name: string;
  kind: SagaStepView['kind'];
  command: string;
  succeeded: string[];
  failed: { type: string; reads: (data: Record<string, unknown>) => string }[];
}

const why =
  (verb: string, ...fields: string[]) =>
  (data: Record<string, unknown>) => {
    const detail = fields.map((f) => data[f]).find((v) => typeof v === 'string');
    return detail === undefined ? verb : `${verb} (${detail})`;
  };

// The steps of orders/saga-steps.ts and their undos, named as an operator says them. The orders module owns
// the saga; what it sent and heard is on the bus under the order's id, which is what this reads.
const TRACES: StepTrace[] = [
  {
    name: 'reserve stock',
    kind: 'step',
    command: reserveStock.type,
    succeeded: [stockReserved.type],
    failed: [{ type: reservationFailed.type, reads: why('out of stock', 'reason') }],
  },
  {
    name: 'authorize payment',
    kind: 'step',
    command: chargePayment.type,
    succeeded: [paymentSucceeded.type],
    failed: [
      { type: paymentDeclined.type, reads: why('declined', 'code') },
      { type: paymentFailed.type, reads: why('provider failed', 'reason') },
    ],
  },
  {
    name: 'commit stock',
    kind: 'step',
    command: commitStock.type,
    succeeded: [stockCommitted.type],
    failed: [{ type: commitFailed.type, reads: why('commit failed', 'reason') }],
  },
  { name: 'release stock', kind: 'compensation', command: releaseStock.type, succeeded: [stockReleased.type], failed: [] },
  { name: 'refund payment', kind: 'compensation', command: refundPayment.type, succeeded: [paymentRefunded.type], failed: [] },
  { name: 'restock', kind: 'compensation', command: restockOrder.type, succeeded: [orderRestocked.type], failed: [] },
  {
    name: 'hold shipment',
    kind: 'compensation',
    command: holdShipment.type,
    succeeded: [shipmentCancelled.type],
    failed: [{ type: shipmentCancelRefused.type, reads: () => 'refused: the shipment had left' }],
  },
];

const byCommand = new Map(TRACES.map((t) => [t.command, t]));

/**
 * The saga's steps in the order they were started: those it sent as commands, from the bus, and those it ran
 * in its own transaction (inventory's, where it shares the database), from the order's stock hold.
 */
export function sagaSteps(trail: TrailMessage[], hold: StockHold | null): SagaStepView[] {
  const sent = sentSteps(trail);
  const inline = stockSteps(hold).filter((step) => !sent.some((s) => s.name === step.name));
  const at = (s: SagaStepView) => s.startedAt ?? s.finishedAt ?? '';
  // A stable sort: a step whose start was not kept stays before the one it preceded.
  return [...inline, ...sent].sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
}

/**
 * The stock steps run inside the saga's transactions, read from the hold they left: taken (or refused), then
 * sold, given back or returned to the shelf. Each ran once, at the hold's times; a sale later returned keeps
 * no time of its own.
 */
function stockSteps(hold: StockHold | null): SagaStepView[] {
  if (!hold) return [];
  const done = (name: string, kind: SagaStepView['kind'], at: string | null): SagaStepView => ({
    name,
    kind,
    status: 'succeeded',
    attempts: 1,
    error: null,
    startedAt: at,
    finishedAt: at,
  });
  if (hold.status === 'failed')
    return [{ ...done('reserve stock', 'step', hold.takenAt), status: 'failed', error: 'out of stock (insufficient_stock)' }];
  const steps = [done('reserve stock', 'step', hold.takenAt)];
  if (hold.status === 'committed') steps.push(done('commit stock', 'step', hold.changedAt));
  if (hold.status === 'returned')
    steps.push({ ...done('commit stock', 'step', null), finishedAt: hold.changedAt }, done('restock', 'compensation', hold.changedAt));
  if (hold.status === 'released') steps.push(done('release stock', 'compensation', hold.changedAt));
  return steps;
}

/**
 * The steps sent as commands, each from its command on the bus and the answer that followed it. A command not
 * answered is pending, or failed when its delivery went dead; attempts count the deliveries of the command
 * (one once handled: a handled delivery keeps no count of the tries before).
 */
function sentSteps(trail: TrailMessage[]): SagaStepView[] {
  return trail.flatMap((message, index): SagaStepView[] => {
    const trace = byCommand.get(message.type);
    if (!trace) return [];
    const later = trail.slice(index + 1);
    const next = later.findIndex((m) => m.type === message.type);
    const answers = next === -1 ? later : later.slice(0, next);
    const answer = answers.find((m) => trace.succeeded.includes(m.type) || trace.failed.some((f) => f.type === m.type));
    const dead = message.unsettled.find((d) => d.status === 'dead');
    const retrying = message.unsettled.find((d) => d.status !== 'dead');
    const attempts = message.handled.length > 0 ? Math.max(1, retrying?.attempts ?? 0) : ((dead ?? retrying)?.attempts ?? 0);
    const started = { name: trace.name, kind: trace.kind, attempts, startedAt: message.occurredAt };
    if (answer) {
      const failing = trace.failed.find((f) => f.type === answer.type);
      return [
        {
          ...started,
          status: failing ? 'failed' : 'succeeded',
          error: failing ? failing.reads((answer.data ?? {}) as Record<string, unknown>) : null,
          finishedAt: answer.occurredAt,
        },
      ];
    }
    if (dead) return [{ ...started, status: 'failed', error: dead.lastError, finishedAt: dead.deadAt }];
    return [{ ...started, status: 'pending', error: retrying?.lastError ?? null, finishedAt: null }];
  });
}
