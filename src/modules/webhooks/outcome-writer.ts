import { setImmediate } from 'node:timers/promises';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { WebhookMetrics } from './metrics.js';
import { recordOutcomes, type Completion, type Job } from './outcomes.js';
import { webhookDb } from './store.js';

// Each a few milliseconds of writing; the event loop gets a turn between them.
const OUTCOMES_PER_TRANSACTION = 100;

/**
 * Writes what attempts came to in batches: the attempts that finish in one turn of the event loop share a
 * transaction (recordOutcomes), and deliveries given back unsent return to pending. `written` hears each
 * delivery whose outcome is down (or could not be written: its lease then runs out and it is sent again).
 */
export function createOutcomeWriter(deps: {
  database: Database;
  logger: Logger;
  metrics: WebhookMetrics;
  settings: { retryScheduleMs: number[]; disableAfterMs: number };
  written: (deliveryId: string) => void;
}) {
  const { database, logger } = deps;
  const completions: Completion[] = [];
  const releases: Job[] = [];
  let flushing: Promise<void> | null = null;

  function schedule(): void {
    flushing ??= flush().finally(() => {
      flushing = null;
      if (completions.length > 0 || releases.length > 0) schedule();
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
          await recordOutcomes(tx, batch, deps);
        });
      } catch (error) {
        // Unrecorded outcomes are not lost work: the leases run out and the deliveries are attempted again.
        logger.error({ err: error, outcomes: batch.length }, 'webhook outcomes not recorded');
      }
      for (const job of [...batch.map((b) => b.job), ...released]) deps.written(job.deliveryId);
      // SQLite answers at once, so without this a backlog of outcomes would be written in one long stall.
      if (completions.length > 0 || releases.length > 0) await setImmediate();
    }
  }

  return {
    attempted(completion: Completion): void {
      completions.push(completion);
      schedule();
    },
    released(job: Job): void {
      releases.push(job);
      schedule();
    },
    /** Resolves once everything handed in so far is written. */
    async drain(): Promise<void> {
      while (flushing) await flushing;
    },
  };
}
