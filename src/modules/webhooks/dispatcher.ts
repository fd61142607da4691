import { setImmediate } from 'node:timers/promises';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { PeriodicTask } from '../../platform/periodic-task.js';
import type { WebhookMetrics } from './metrics.js';
import { fanOutNextChunk } from './fanout.js';
import { recordOutcomes, type Completion, type Job } from './outcomes.js';
import type { Sender } from './sender.js';
import { live, pendingDelivery, webhookDb, createWebhooksStore, type EndpointRow, type WebhookTables } from './store.js';

export interface DispatcherSettings {
  /** Delay before each retry; one more attempt than it has entries. */
  retryScheduleMs: number[];
  timeoutMs: number;
  /** In flight to one endpoint at once; as many again may wait, claimed, for a slot. */
  endpointConcurrency: number;
  /** Endpoints given their deliveries per transaction: by the bus's handler for the first, by `fanOut` for the rest. */
  fanOutChunk: number;
  disableAfterMs: number;
  pollIntervalMs: number;
}

export interface Dispatcher extends PeriodicTask {
  /** Deliveries were added or became due: claim now rather than at the next poll. */
  wake(): void;
  /**
   * In the transaction that records a message: deliveries for its first `fanOutChunk` endpoints, and a
   * fan-out for the rest, given theirs a chunk per transaction once this one commits. Each endpoint with
   * room here gets its delivery leased to this process, to be sent as soon as the transaction commits.
   */
  deliver(tx: Executor, message: HandedMessage, endpoints: EndpointRow[]): Promise<HandOff>;
  load(): { inFlight: number; queued: number };
}

export interface HandedMessage {
  id: string;
  type: string;
  body: string;
  occurredAt: string;
}

/** What `deliver` leased: `commit()` once its transaction has committed, else `cancel()` (after `commit()`, a no-op). */
export interface HandOff {
  commit(): void;
  cancel(): void;
}

interface EndpointState {
  url: string;
  secrets: string[];
  active: number;
  /** Its last attempt was answered within a second: its requests may go in the express lane. */
  prompt: boolean;
  queue: Job[];
  /** Slots promised to hand-offs whose transaction has not committed yet. */
  reserved: number;
  disabled: boolean;
}

const CLAIM_BATCH = 128;
// How many messages' fan-outs take turns, a chunk each, in one round; and how often to look for fan-outs
// this process was not told about (left by a process that died).
const FANOUTS_PER_ROUND = 16;
const FANOUT_LOOK_MS = 5_000;
// Each a few milliseconds of writing; the event loop gets a turn between them.
const OUTCOMES_PER_TRANSACTION = 100;
// The express lane is for endpoints whose last attempt was answered within PROMPT_MS and that have at most
// EXPRESS_IN_FLIGHT requests open; the rest (new endpoints too, until they answer) use the bulk lane.
const EXPRESS_IN_FLIGHT = 32;
const PROMPT_MS = 1_000;

function secretsOf(e: EndpointRow, now: Date): string[] {
  const overlap = e.previous_secret !== null && e.previous_secret_until !== null && e.previous_secret_until > now.toISOString();
  return overlap ? [e.secret, e.previous_secret!] : [e.secret];
}

/** Where requests are made: two senders, each on a thread of its own (see `attempt`). */
export interface SenderLanes {
  express: Sender;
  bulk: Sender;
}

/**
 * Delivers webhooks: claims due deliveries with a lease, queues them per endpoint so each endpoint has its
 * own concurrency limit (a hanging receiver fills only its own slots), and writes outcomes in batches.
 * A delivery is claimed only while its endpoint has room, so nothing waits in memory for long; a process
 * that dies leaves leases that run out, and the deliveries are sent again under the same webhook-id.
 */
export function createDispatcher(deps: {
  database: Database;
  senders: SenderLanes;
  logger: Logger;
  metrics: WebhookMetrics;
  settings: DispatcherSettings;
}): Dispatcher {
  const { database, senders, logger, metrics, settings } = deps;
  const leaseMs = settings.timeoutMs * 2 + 5_000;
  const capacity = settings.endpointConcurrency * 2;
  const endpoints = new Map<string, EndpointState>();
  const held = new Set<string>();
  const completions: Completion[] = [];
  let inFlight = 0;
  let running = false;
  let loop: Promise<void> | null = null;
  let woken = false;
  let wakeUp: (() => void) | null = null;
  let flushing: Promise<void> | null = null;
  // True at start, so a restart finishes the fan-outs a killed process left.
  let fanOutsWaiting = true;
  let lastFanOutLook = 0;

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  function roomFor(endpointId: string): number {
    const state = endpoints.get(endpointId);
    return state ? capacity - state.active - state.queue.length - state.reserved : capacity;
  }

  /** The endpoint's state, refreshed from a row just read as enabled. */
  function stateOf(row: EndpointRow, now: Date): EndpointState {
    let state = endpoints.get(row.id);
    if (!state)
      endpoints.set(row.id, (state = { url: row.url, secrets: [], active: 0, prompt: false, queue: [], reserved: 0, disabled: false }));
    Object.assign(state, { url: row.url, secrets: secretsOf(row, now), disabled: false });
    return state;
  }

  /** The deliveries of one message to these endpoints, leased here where there is room, to insert in its transaction. */
  function handOff(message: HandedMessage, rows: EndpointRow[]): HandOff & { rows: WebhookTables['webhook_deliveries'][] } {
    const now = new Date();
    const nowIso = now.toISOString();
    const lease = new Date(now.getTime() + leaseMs).toISOString();
    const jobs: Job[] = [];
    const deliveries = rows.map((row) => {
      const delivery = pendingDelivery(message.id, row.id, nowIso);
      if (!running || roomFor(row.id) <= 0) return delivery;
      stateOf(row, now).reserved += 1;
      jobs.push({
        deliveryId: delivery.id,
        messageId: message.id,
        endpointId: row.id,
        attempt: 1,
        type: message.type,
        body: message.body,
        occurredAt: message.occurredAt,
      });
      return { ...delivery, status: 'delivering' as const, next_attempt_at: lease };
    });
    let settled = false;
    const settle = (commit: boolean) => {
      if (settled) return;
      settled = true;
      for (const job of jobs) {
        const state = endpoints.get(job.endpointId)!;
        state.reserved -= 1;
        if (commit) {
          held.add(job.deliveryId);
          state.queue.push(job);
        }
      }
      if (commit) for (const id of new Set(jobs.map((j) => j.endpointId))) pump(id);
      // What was not leased here waits for a claim.
      if (commit && jobs.length < deliveries.length) wake();
    };
    return { rows: deliveries, commit: () => settle(true), cancel: () => settle(false) };
  }

  async function claim(): Promise<number> {
    const now = new Date();
    const nowIso = now.toISOString();
    // Most polls find nothing due: one look along the due index costs a fraction of the claim's transaction.
    const anyDue = await webhookDb(database.db)
      .selectFrom('webhook_deliveries')
      .select('id')
      .where(live())
      .where('next_attempt_at', '<=', nowIso)
      .limit(1)
      .executeTakeFirst();
    if (anyDue === undefined) return 0;
    const lease = new Date(now.getTime() + leaseMs).toISOString();
    const full = [...endpoints].filter(([id]) => roomFor(id) <= 0).map(([id]) => id);
    const rows = await database.db.transaction().execute(async (tx) => {
      const db = webhookDb(tx);
      const due = (busy: string[], onlyPending: boolean) =>
        db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
          .select(['d.id', 'd.endpoint_id'])
          .where(live('d'))
          .where('d.next_attempt_at', '<=', nowIso)
          .where('e.disabled', '=', 0)
          .$if(onlyPending, (q) => q.where('d.status', '=', 'pending'))
          .$if(busy.length > 0, (q) => q.where('d.endpoint_id', 'not in', busy))
          .orderBy('d.next_attempt_at')
          .limit(CLAIM_BATCH)
          .execute();
      // Endpoints with nothing under way here go first, so a delivery to a quiet endpoint is claimed at once
      // however many thousands wait for a busy one; then the rest, oldest first, skipping full endpoints.
      const quiet = await due(
        [...endpoints].filter(([, e]) => e.active + e.queue.length > 0).map(([id]) => id),
        true,
      );
      const rest = quiet.length < CLAIM_BATCH ? await due(full, false) : [];
      const seen = new Set<string>();
      const ranked = [...quiet, ...rest].filter((r) => !seen.has(r.id) && seen.add(r.id));
      const room = new Map<string, number>();
      const candidates = ranked
        .filter((r) => {
          if (held.has(r.id)) return false;
          const left = room.get(r.endpoint_id) ?? roomFor(r.endpoint_id);
          room.set(r.endpoint_id, left - 1);
          return left > 0;
        })
        .map((r) => r.id);
      if (candidates.length === 0) return [];
      // The condition is checked again by the update itself, so two processes never claim the same delivery.
      const picked = (
        await db
          .updateTable('webhook_deliveries')
          .set({ status: 'delivering', next_attempt_at: lease })
          .where('id', 'in', candidates)
          .where(live())
          .where('next_attempt_at', '<=', nowIso)
          .returning('id')
          .execute()
      ).map((r) => r.id);
      if (picked.length === 0) return [];
      return db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
        .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
        .selectAll('e')
        .select(['d.id as delivery_id', 'd.message_id', 'd.attempts', 'm.type', 'm.body', 'm.occurred_at'])
        .where('d.id', 'in', picked)
        .orderBy('d.next_attempt_at')
        .execute();
    });
    for (const row of rows) {
      const state = stateOf(row, now);
      held.add(row.delivery_id);
      state.queue.push({
        deliveryId: row.delivery_id,
        messageId: row.message_id,
        endpointId: row.id,
        attempt: row.attempts + 1,
        type: row.type,
        body: row.body,
        occurredAt: row.occurred_at,
      });
    }
    for (const id of new Set(rows.map((r) => r.id))) pump(id);
    return rows.length;
  }

  async function addDeliveries(tx: Executor, message: HandedMessage, targets: EndpointRow[]): Promise<HandOff> {
    const handed = handOff(message, targets);
    try {
      await createWebhooksStore(tx).addDeliveries(handed.rows);
    } catch (error) {
      handed.cancel();
      throw error;
    }
    return handed;
  }

  async function deliver(tx: Executor, message: HandedMessage, targets: EndpointRow[]): Promise<HandOff> {
    const handed = await addDeliveries(tx, message, targets.slice(0, settings.fanOutChunk));
    if (targets.length <= settings.fanOutChunk) return handed;
    try {
      const rest = targets.slice(settings.fanOutChunk).map((e) => e.id);
      await createWebhooksStore(tx).saveFanout({
        message_id: message.id,
        endpoint_ids: JSON.stringify(rest),
        next_index: 0,
        created_at: message.occurredAt,
      });
    } catch (error) {
      handed.cancel();
      throw error;
    }
    return {
      commit() {
        handed.commit();
        fanOutsWaiting = true;
        wake();
      },
      cancel: handed.cancel,
    };
  }

  /** One round: the oldest unfinished fan-outs take turns, one chunk of endpoints each, a transaction per chunk. */
  async function fanOut(): Promise<boolean> {
    lastFanOutLook = Date.now();
    const pending = await createWebhooksStore(database.db).pendingFanouts(FANOUTS_PER_ROUND);
    if (pending.length === 0) {
      fanOutsWaiting = false;
      return false;
    }
    for (const fanout of pending) {
      if (!running) break;
      await fanOutNextChunk(database, fanout, settings.fanOutChunk, addDeliveries);
      await setImmediate();
    }
    return true;
  }

  function pump(endpointId: string): void {
    const state = endpoints.get(endpointId)!;
    while (state.active < settings.endpointConcurrency && state.queue.length > 0) {
      const job = state.queue.shift()!;
      if (state.disabled || !running) {
        complete({ job, result: { ok: false, status: null, error: null, retryAfterMs: null, durationMs: 0 }, at: new Date() }, 'release');
        continue;
      }
      state.active += 1;
      inFlight += 1;
      void attempt(state, job).finally(() => {
        const wasFull = roomFor(endpointId) <= 0;
        state.active -= 1;
        inFlight -= 1;
        pump(endpointId);
        // Claims skip a full endpoint: look again once it has room. Otherwise new work wakes the loop itself.
        if (wasFull && state.queue.length === 0) wake();
      });
    }
  }

  /**
   * Endpoints that answer promptly and have few requests open are sent to from the express lane; the rest,
   * and endpoints not heard from yet, from the bulk lane. Thousands of connections opening to slow receivers
   * keep a thread's event loop busy for tens of milliseconds a turn; on a thread of its own, a prompt
   * endpoint's request is not queued behind them, and the operating system runs that mostly idle thread as
   * soon as it has work.
   */
  async function attempt(state: EndpointState, job: Job): Promise<void> {
    const lane = state.prompt && state.active <= EXPRESS_IN_FLIGHT ? senders.express : senders.bulk;
    // Signed where it is sent (the sender's thread): an HMAC per delivery is work the event loop need not do.
    const result = await lane.post(
      state.url,
      { messageId: job.messageId, timestamp: Math.floor(Date.now() / 1000), secrets: state.secrets },
      job.body,
    );
    state.prompt = result.status !== null && result.durationMs < PROMPT_MS;
    metrics.attempt(result.ok ? 'succeeded' : 'failed', result.durationMs);
    if (result.ok) metrics.delivered(job.occurredAt);
    if (result.status === 410) state.disabled = true;
    complete({ job, result, at: new Date() }, 'attempt');
  }

  const releases: Job[] = [];
  function complete(completion: Completion, kind: 'attempt' | 'release'): void {
    if (kind === 'release') releases.push(completion.job);
    else completions.push(completion);
    scheduleFlush();
  }

  function scheduleFlush(): void {
    flushing ??= flush().finally(() => {
      flushing = null;
      if (completions.length > 0 || releases.length > 0) scheduleFlush();
    });
  }

  async function flush(): Promise<void> {
    // Let the attempts finishing in this turn of the event loop join the batch.
    await setImmediate();
    while (completions.length > 0 || releases.length > 0) {
      const batch = completions.splice(0, OUTCOMES_PER_TRANSACTION);
      const released = releases.splice(0, OUTCOMES_PER_TRANSACTION);
      try {
        await database.db.transaction().execute(async (tx) => {
          if (released.length > 0) {
            await webhookDb(tx)
              .updateTable('webhook_deliveries')
              .set({ status: 'pending', next_attempt_at: new Date().toISOString() })
              .where(
                'id',
                'in',
                released.map((j) => j.deliveryId),
              )
              .where('status', '=', 'delivering')
              .execute();
          }
          await recordOutcomes(tx, batch, { settings, metrics, logger });
        });
      } catch (error) {
        // Unrecorded outcomes are not lost work: the leases run out and the deliveries are attempted again.
        logger.error({ err: error, outcomes: batch.length }, 'webhook outcomes not recorded');
      }
      for (const c of [...batch.map((b) => b.job), ...released]) held.delete(c.deliveryId);
      // SQLite answers at once, so without this a backlog of outcomes would be written in one long stall.
      if (completions.length > 0 || releases.length > 0) await setImmediate();
    }
  }

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      let claimed = 0;
      try {
        claimed = await claim();
      } catch (error) {
        logger.error({ err: error }, 'webhook claim failed');
      }
      let fannedOut = false;
      if (fanOutsWaiting || Date.now() - lastFanOutLook > FANOUT_LOOK_MS) {
        try {
          fannedOut = await fanOut();
        } catch (error) {
          logger.error({ err: error }, 'webhook fan-out failed; retrying');
        }
      }
      if (!running) break;
      if (claimed === CLAIM_BATCH || woken || fannedOut) {
        // Between full batches, let responses, completions and other requests through first.
        await setImmediate();
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, settings.pollIntervalMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  }

  return {
    name: 'webhooks.dispatcher',
    wake,
    deliver,
    load: () => ({ inFlight, queued: [...endpoints.values()].reduce((n, s) => n + s.queue.length, 0) }),
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake();
      await loop;
      // Queued jobs go back at once; those in flight end within their timeout.
      for (const id of endpoints.keys()) pump(id);
      while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      while (flushing) await flushing;
      senders.express.close();
      senders.bulk.close();
    },
  };
}
