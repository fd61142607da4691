import { setImmediate } from 'node:timers/promises';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { PeriodicTask } from '../../platform/periodic-task.js';
import { createWorkLoop } from '../../platform/work-loop.js';
import { CLAIM_BATCH, createDeliveryClaims } from './delivery-claims.js';
import { createEndpointQueues, type SenderLanes } from './endpoint-queues.js';
import { createOutcomeWriter } from './outcome-writer.js';
import type { WebhookMetrics } from './metrics.js';
import { fanOutNextChunk } from './fanout.js';
import type { Job } from './outcomes.js';
import { pendingDelivery, createWebhooksStore, type EndpointRow, type WebhookTables } from './store.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';

export type { SenderLanes } from './endpoint-queues.js';

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
  traceparent: string | null;
}

/** What `deliver` leased: `commit()` once its transaction has committed, else `cancel()` (after `commit()`, a no-op). */
export interface HandOff {
  commit(): void;
  cancel(): void;
}

// How many messages' fan-outs take turns, a chunk each, in one round; and how often to look for fan-outs
// this process was not told about (left by a process that died).
const FANOUTS_PER_ROUND = 16;
const FANOUT_LOOK_MS = 5_000;

/**
 * Delivers webhooks: claims due deliveries with a lease (delivery-claims.ts), queues them per endpoint so
 * each endpoint has its own concurrency limit (endpoint-queues.ts), and writes outcomes in batches
 * (outcome-writer.ts). A delivery is claimed only while its endpoint has room, so nothing waits in memory
 * for long; a process that dies leaves leases that run out, and the deliveries are sent again under the
 * same webhook-id.
 */
export function createDispatcher(deps: {
  database: Database;
  senders: SenderLanes;
  /** Opens the endpoints' stored signing secrets. */
  secrets: SecretBox;
  logger: Logger;
  metrics: WebhookMetrics;
  settings: DispatcherSettings;
}): Dispatcher {
  const { database, senders, logger, metrics, settings } = deps;
  const leaseMs = settings.timeoutMs * 2 + 5_000;
  const held = new Set<string>();
  let running = false;
  // True at start, so a restart finishes the fan-outs a killed process left.
  let fanOutsWaiting = true;
  let lastFanOutLook = 0;

  const outcomes = createOutcomeWriter({ database, logger, metrics, settings, written: (id) => held.delete(id) });
  const queues = createEndpointQueues({
    senders,
    secrets: deps.secrets,
    metrics,
    concurrency: settings.endpointConcurrency,
    sending: () => running,
    finished: (job, outcome) => (outcome === 'released' ? outcomes.released(job) : outcomes.attempted({ job, ...outcome })),
    freed: () => loop.wake(),
  });
  const claim = createDeliveryClaims(database, queues, held, leaseMs);

  /** The deliveries of one message to these endpoints, leased here where there is room, to insert in its transaction. */
  function handOff(message: HandedMessage, rows: EndpointRow[]): HandOff & { rows: WebhookTables['webhook_deliveries'][] } {
    const now = new Date();
    const nowIso = now.toISOString();
    const lease = new Date(now.getTime() + leaseMs).toISOString();
    const jobs: Job[] = [];
    const deliveries = rows.map((row) => {
      const delivery = pendingDelivery(message.id, row.id, nowIso);
      if (!running || queues.room(row.id) <= 0) return delivery;
      queues.reserve(row, now);
      jobs.push({
        deliveryId: delivery.id,
        messageId: message.id,
        endpointId: row.id,
        attempt: 1,
        type: message.type,
        body: message.body,
        occurredAt: message.occurredAt,
        traceparent: message.traceparent,
      });
      return { ...delivery, status: 'delivering' as const, next_attempt_at: lease };
    });
    let settled = false;
    const settle = (commit: boolean) => {
      if (settled) return;
      settled = true;
      for (const job of jobs) {
        queues.unreserve(job.endpointId);
        if (commit) {
          held.add(job.deliveryId);
          queues.enqueueKnown(job);
        }
      }
      if (commit) for (const id of new Set(jobs.map((j) => j.endpointId))) queues.pump(id);
      // What was not leased here waits for a claim.
      if (commit && jobs.length < deliveries.length) loop.wake();
    };
    return { rows: deliveries, commit: () => settle(true), cancel: () => settle(false) };
  }

  async function claimDue(): Promise<number> {
    const now = new Date();
    const rows = await claim(now);
    for (const row of rows) {
      held.add(row.delivery_id);
      queues.enqueue(
        row,
        {
          deliveryId: row.delivery_id,
          messageId: row.message_id,
          endpointId: row.id,
          attempt: row.attempts + 1,
          type: row.type,
          body: row.body,
          occurredAt: row.occurred_at,
          traceparent: row.traceparent,
        },
        now,
      );
    }
    for (const id of new Set(rows.map((r) => r.id))) queues.pump(id);
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
        loop.wake();
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

  const loop = createWorkLoop({
    name: 'webhooks.dispatcher',
    idleMs: settings.pollIntervalMs,
    logger,
    async pass() {
      let claimed = 0;
      try {
        claimed = await claimDue();
      } catch (error) {
        logger.error({ err: error }, 'webhook claim failed');
      }
      let fannedOut = false;
      if (running && (fanOutsWaiting || Date.now() - lastFanOutLook > FANOUT_LOOK_MS)) fannedOut = await fanOut();
      // Between full batches, let responses, completions and other requests through first.
      return claimed === CLAIM_BATCH || fannedOut ? 'busy' : 'idle';
    },
  });

  return {
    name: 'webhooks.dispatcher',
    wake: () => loop.wake(),
    deliver,
    load: queues.load,
    start() {
      if (running) return;
      running = true;
      loop.start();
    },
    async stop() {
      running = false;
      await loop.stop();
      // Queued jobs go back at once; those in flight end within their timeout.
      queues.pumpAll();
      while (queues.inFlight() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await outcomes.drain();
      senders.express.close();
      senders.bulk.close();
    },
  };
}
