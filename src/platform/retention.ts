import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from './observability/logger.js';
import type { PeriodicTask } from './periodic-task.js';
import { createWorkLoop } from './work-loop.js';

/**
 * One batch of a retention: among the next `limit` rows past `before` (after the cursor `after`, when the
 * rule walks its table in id order), deletes those that may go, in one short transaction. `last` is where
 * the next batch goes on from, or null when fewer than `limit` rows were left to look at.
 */
export type PruneBatch = (before: Date, limit: number, after: string | null) => Promise<{ deleted: number; last: string | null }>;

/** A batch's `last`: the last id it looked at when it was full (more may follow), else null. */
export function cursorAfter(ids: string[], limit: number): string | null {
  return ids.length < limit ? null : ids[ids.length - 1]!;
}

/** What a module keeps for a while and then forgets: the label it is counted under, for how long, and how. */
export interface RetentionRule {
  kind: string;
  retentionMs: number;
  prune: PruneBatch;
}

/**
 * How hard a retention task works. A batch holds the database (SQLite's one writer) for a few hundred
 * rows only, and the pause after it lets requests' transactions in; the cap bounds one pass per kind, so
 * every kind gets its turn. A stop is heeded between batches.
 */
export interface RetentionPace {
  everyMs: number;
  batchSize: number;
  pauseMs: number;
  maxRowsPerRun: number;
}

export const DEFAULT_PACE: Omit<RetentionPace, 'everyMs'> = { batchSize: 250, pauseMs: 20, maxRowsPerRun: 20_000 };

const METRIC = 'orderly_retention_pruned_total';

/** The one counter every module's retention adds to (a registry holds a name once). */
function prunedCounter(registry: Registry): Counter<'kind'> {
  const known = registry.getSingleMetric(METRIC) as Counter<'kind'> | undefined;
  return (
    known ??
    new Counter({
      name: METRIC,
      help: 'Rows deleted because their retention ran out, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    })
  );
}

/**
 * Prunes each rule's rows in bounded batches, every `everyMs`; a pass that stopped at a cap comes back at
 * once (after yielding), so a backlog is worked off at the batches' pace instead of an interval's.
 */
export function createRetentionTask(
  name: string,
  rules: RetentionRule[],
  deps: { registry: Registry; logger: Logger; pace: Pick<RetentionPace, 'everyMs'> & Partial<RetentionPace> },
): PeriodicTask {
  const pace = { ...DEFAULT_PACE, ...deps.pace };
  const pruned = prunedCounter(deps.registry);
  for (const rule of rules) pruned.inc({ kind: rule.kind }, 0);
  let stopping = false;

  /** True when the rule stopped at its cap with rows left. */
  async function pruneKind(rule: RetentionRule): Promise<boolean> {
    const before = new Date(Date.now() - rule.retentionMs);
    let total = 0;
    let after: string | null = null;
    for (;;) {
      const batch = await rule.prune(before, pace.batchSize, after);
      if (batch.deleted > 0) pruned.inc({ kind: rule.kind }, batch.deleted);
      total += batch.deleted;
      after = batch.last;
      if (after === null || stopping) break;
      if (total >= pace.maxRowsPerRun) {
        deps.logger.info({ kind: rule.kind, deleted: total }, 'retention stopped at its cap for this run; more is left');
        return true;
      }
      await sleep(pace.pauseMs);
    }
    if (total > 0) deps.logger.debug({ kind: rule.kind, deleted: total }, 'retention pruned');
    return false;
  }

  const loop = createWorkLoop({
    name,
    idleMs: pace.everyMs,
    idleFirst: true,
    logger: deps.logger,
    async pass() {
      let capped = false;
      for (const rule of rules) {
        if (stopping) break;
        try {
          capped = (await pruneKind(rule)) || capped;
        } catch (error) {
          // One kind failing (a lock timeout) must not keep the others from their turn.
          deps.logger.error({ err: error, kind: rule.kind }, 'retention failed; trying again next run');
        }
      }
      return capped ? 'busy' : 'idle';
    },
  });
  return {
    name,
    start() {
      stopping = false;
      loop.start();
    },
    async stop() {
      stopping = true;
      await loop.stop();
    },
  };
}
