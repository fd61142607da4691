import type { Executor } from '../db/database.js';
import { newId, nowIso } from '../db/ids.js';
import { currentTraceparent } from '../observability/tracing.js';
import type { EventEnvelope, NewEvent } from './envelope.js';
import type { MessagingStatements } from './statements.js';
import type { Transport } from './transport.js';

/** A message ready for the outbox: its envelope, its data already serialised, and the chain it continues (null: its own). */
export interface Outgoing {
  envelope: EventEnvelope;
  json: string;
  root: number | null;
}

/**
 * Envelopes for `events`, built where they are published: the trace is the one active there, and data
 * that cannot be serialised fails the publisher, not a batch it shares a transaction with.
 */
export function outgoing(events: NewEvent[], root: number | null): Outgoing[] {
  const occurredAt = nowIso();
  return events.map((event) => {
    const traceparent = event.traceparent ?? currentTraceparent();
    const envelope: EventEnvelope = {
      id: newId('msg'),
      type: event.type,
      version: event.version ?? 1,
      occurredAt,
      key: event.key,
      ...(traceparent === undefined ? {} : { traceparent }),
      data: event.data,
    };
    return { envelope, json: JSON.stringify(event.data), root };
  });
}

/** Per type: the groups that get a delivery, and those that said in `interest` they have nothing to do with it. */
export type Router = (tx: Executor, types: Iterable<string>) => Promise<Map<string, { queue: string[]; skip: string[] }>>;

/**
 * Writes messages to the outbox and hands them to the transport, inside `tx`: one statement per kind
 * (outbox rows, skipped groups' inbox records, deliveries) however many messages, and from however many
 * publishers (a batch of handlers publishes once for all of them).
 */
export async function store(
  tx: Executor,
  messages: Outgoing[],
  deps: { statements: MessagingStatements; route: Router; transport: Transport },
): Promise<void> {
  if (messages.length === 0) return;
  const dispatchedAt = nowIso();
  const stored = await deps.statements.insertOutbox.execute<{ id: string; seq: number }>(
    tx,
    messages.map(({ envelope: e, json }) => ({
      id: e.id,
      type: e.type,
      version: e.version,
      key: e.key,
      occurred_at: e.occurredAt,
      traceparent: e.traceparent ?? null,
      data: json,
      dispatched_at: dispatchedAt,
    })),
  );
  const seqOf = new Map(stored.rows.map((s) => [s.id, s.seq]));
  const routes = await deps.route(
    tx,
    messages.map((m) => m.envelope.type),
  );
  const skipped = messages.flatMap(({ envelope: e }) =>
    routes.get(e.type)!.skip.map((group) => ({ group_name: group, message_id: e.id, applied_at: dispatchedAt })),
  );
  if (skipped.length > 0) await deps.statements.insertInbox.execute(tx, skipped);
  await deps.transport.enqueue(
    tx,
    messages.map(({ envelope: e, root }) => ({ envelope: e, seq: seqOf.get(e.id)!, root: root ?? seqOf.get(e.id)! })),
    (type) => routes.get(type)!.queue,
  );
}
