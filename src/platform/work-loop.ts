import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from './observability/logger.js';

/** What a pass found: more work likely waiting (go again, after letting the event loop in), or none. */
export type PassResult = 'busy' | 'idle';

/** A background loop: one pass at a time, a wake to run the next one early, and a stop that waits for the pass in progress. */
export interface WorkLoop {
  readonly name: string;
  start(): void;
  /** There is work: run the next pass now rather than after the idle wait. */
  wake(): void;
  stop(): Promise<void>;
}

export interface WorkLoopOptions {
  name: string;
  /** How long to wait after an idle pass when nothing wakes the loop. */
  idleMs: number;
  /** Wait `idleMs` before the first pass too (a periodic task), instead of starting with one. */
  idleFirst?: boolean;
  logger: Logger;
  pass(): Promise<PassResult>;
}

/**
 * Runs `pass` over and over: again at once when it was busy or woken meanwhile (yielding to the event loop
 * first, so requests get in between passes), otherwise after `idleMs` or a wake. A pass that throws is
 * logged and counts as idle, so a failing dependency is retried at the idle pace, not in a spin.
 */
export function createWorkLoop(options: WorkLoopOptions): WorkLoop {
  let running = false;
  let loop: Promise<void> | null = null;
  let woken = false;
  let interrupt: (() => void) | null = null;

  function idle(): Promise<void> {
    if (woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, options.idleMs);
      function done() {
        clearTimeout(timer);
        interrupt = null;
        resolve();
      }
      interrupt = done;
    });
  }

  async function run(): Promise<void> {
    if (options.idleFirst) await idle();
    while (running) {
      woken = false;
      let result: PassResult = 'idle';
      try {
        result = await options.pass();
      } catch (error) {
        options.logger.error({ err: error, loop: options.name }, 'background pass failed; trying again');
      }
      if (!running) break;
      if (result === 'busy' || woken) await yieldToEventLoop();
      else await idle();
    }
  }

  return {
    name: options.name,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    wake() {
      woken = true;
      interrupt?.();
    },
    async stop() {
      running = false;
      interrupt?.();
      await loop;
      loop = null;
    },
  };
}
