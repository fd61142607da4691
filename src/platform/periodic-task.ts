import type { Logger } from './observability/logger.js';
import { createWorkLoop } from './work-loop.js';

/** A background loop with a stop that waits for the run in progress. */
export interface PeriodicTask {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

/** Runs `run` every `intervalMs` (never overlapping itself); a failure is logged and the loop goes on. */
export function createPeriodicTask(name: string, intervalMs: number, run: () => Promise<unknown>, logger: Logger): PeriodicTask {
  return createWorkLoop({
    name,
    idleMs: intervalMs,
    idleFirst: true,
    logger,
    async pass() {
      await run();
      return 'idle';
    },
  });
}
