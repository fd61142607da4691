import type { Logger } from './observability/logger.js';

/** A background loop with a stop that waits for the run in progress. */
export interface PeriodicTask {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

/** Runs `run` every `intervalMs` (never overlapping itself); a failure is logged and the loop goes on. */
export function createPeriodicTask(name: string, intervalMs: number, run: () => Promise<unknown>, logger: Logger): PeriodicTask {
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let running = false;

  const tick = () => {
    current = run()
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, task: name }, 'background task failed'),
      )
      .finally(() => {
        current = null;
        if (running) timer = setTimeout(tick, intervalMs);
      });
  };

  return {
    name,
    start() {
      if (running) return;
      running = true;
      timer = setTimeout(tick, intervalMs);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await current;
    },
  };
}
