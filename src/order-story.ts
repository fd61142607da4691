import { sql } from 'kysely';
import type { Core } from './app.js';
import { messageTrail, type TrailMessage } from './platform/messaging/message-trail.js';

type Row = Record<string, unknown>;

export interface OrderStory {
  order: Row;
  saga: Row | null;
  timeline: Row[];
  /** Every message keyed by the order, oldest first, with the groups that applied it and when. */
  messages: {
    id: string;
    type: string;
    at: string;
    traceparent: string | null;
    handled: TrailMessage['handled'];
    waiting: TrailMessage['unsettled'];
  }[];
  payments: Row[];
  webhooks: Row[];
  /** The trace to look up in a tracing backend: the one the order's first message carries. */
  traceId: string | null;
}

async function rows(core: Core, query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await query.execute(core.database.db)).rows as Row[];
}

type OwnParts = Pick<OrderStory, 'order' | 'saga' | 'timeline' | 'payments'>;

async function hotParts(core: Core, orderId: string): Promise<OwnParts | null> {
  const [order] = await rows(
    core,
    sql`select id, user_id, status, cancellation_reason, total_amount, currency, created_at, updated_at from orders where id = ${orderId}`,
  );
  if (!order) return null;
  const [saga] = await rows(
    core,
    sql`select step, cancel_reason, last_event, updated_at, version from order_sagas where order_id = ${orderId}`,
  );
  const timeline = await rows(core, sql`select at, status, note from order_timeline where order_id = ${orderId} order by at, id`);
  const payments = await rows(
    core,
    sql`select at, kind, outcome, detail from payment_attempts where order_id = ${orderId} order by at, id`,
  );
  return { order, saga: saga ?? null, timeline, payments };
}

/** An archived order's own parts, from its archive record. */
async function archivedParts(core: Core, orderId: string): Promise<OwnParts | null> {
  const { archive } = core.modules.orders;
  const row = await archive.find(orderId);
  if (!row) return null;
  const { order, saga, payment } = await archive.record(row);
  return {
    order: {
      id: order.id,
      user_id: order.userId,
      status: `${order.status}, archived in ${row.file}`,
      cancellation_reason: order.cancellationReason,
      total_amount: order.total.amount,
      currency: order.total.currency,
      created_at: order.createdAt,
      updated_at: order.updatedAt,
    },
    saga: saga as Row | null,
    timeline: order.timeline.map((t) => ({ at: t.at, status: t.status, note: t.note ?? null })),
    payments: ((payment as { attempts?: Row[] } | null)?.attempts ?? []).map((a) => ({
      at: a.at,
      kind: a.kind,
      outcome: a.outcome,
      detail: a.detail,
    })),
  };
}

/**
 * What the database knows of one order (hot, or from its archive file), read across the modules' tables for an operator (`orderly trace`).
 * Messages are found by their key, which for an order's commands and events is its id.
 */
export async function orderStory(core: Core, orderId: string): Promise<OrderStory | null> {
  const own = (await hotParts(core, orderId)) ?? (await archivedParts(core, orderId));
  if (!own) return null;
  const { order, saga, timeline, payments } = own;
  const trail = await messageTrail(core.database.db, orderId, core.bus.groups());
  const ids = trail.map((m) => m.id);
  const webhooks = ids.length
    ? await rows(
        core,
        sql`select at, event_type, endpoint_id, attempt, status, response_status, duration_ms, error from webhook_attempts where message_id in (${sql.join(ids)}) order by at, id`,
      )
    : [];
  const messages = trail.map((m) => ({
    id: m.id,
    type: m.type,
    at: m.occurredAt,
    traceparent: m.traceparent,
    handled: m.handled,
    waiting: m.unsettled,
  }));
  const traced = messages.find((m) => m.traceparent)?.traceparent;
  return { order, saga, timeline, messages, payments, webhooks, traceId: traced ? traced.split('-')[1]! : null };
}

const since = (start: string, at: unknown) => `+${((Date.parse(String(at)) - Date.parse(start)) / 1000).toFixed(3)}s`;

/** The story as text: one section per part, times relative to the order's creation. */
export function formatStory(story: OrderStory): string {
  const { order, saga } = story;
  const start = String(order.created_at);
  const out: string[] = [];
  out.push(`order ${order.id}  ${order.status}${order.cancellation_reason ? ` (${order.cancellation_reason})` : ''}`);
  out.push(`  customer ${order.user_id}  total ${order.total_amount} ${order.currency}  placed ${start}`);
  out.push(`  trace id ${story.traceId ?? '(none: tracing was off when it was placed)'}`);
  if (saga)
    out.push(
      `  saga at ${saga.step}${saga.cancel_reason ? `, cancelling: ${saga.cancel_reason}` : ''} (last event ${saga.last_event}, ${since(start, saga.updated_at)})`,
    );
  out.push('', 'timeline');
  for (const t of story.timeline) out.push(`  ${since(start, t.at).padStart(10)}  ${String(t.status).padEnd(10)} ${t.note}`);
  out.push('', 'saga steps and messages (handled by group)');
  for (const m of story.messages) {
    const handled = m.handled.map((h) => `${h.group} ${since(start, h.at)}`).join(', ') || 'not handled yet';
    out.push(`  ${since(start, m.at).padStart(10)}  ${m.type.padEnd(28)} ${handled}`);
    for (const w of m.waiting)
      out.push(`              ${w.group}: ${w.status}, ${w.attempts} attempt(s)${w.lastError ? `, last error: ${w.lastError}` : ''}`);
  }
  out.push('', 'payment attempts');
  if (story.payments.length === 0) out.push('  none');
  for (const p of story.payments)
    out.push(`  ${since(start, p.at).padStart(10)}  ${p.kind} ${p.outcome}${p.detail ? ` (${p.detail})` : ''}`);
  out.push('', 'webhook attempts');
  if (story.webhooks.length === 0) out.push('  none');
  for (const w of story.webhooks)
    out.push(
      `  ${since(start, w.at).padStart(10)}  ${String(w.event_type).padEnd(20)} ${w.endpoint_id} attempt ${w.attempt}: ${w.status}` +
        `${w.response_status ? ` ${w.response_status}` : ''} in ${w.duration_ms} ms${w.error ? ` (${w.error})` : ''}`,
    );
  return `${out.join('\n')}\n`;
}
