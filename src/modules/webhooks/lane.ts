import { Worker } from 'node:worker_threads';
import { threadEntry } from '../../platform/thread-entry.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { AttemptResult, Sender, Signing } from './http-request.js';

export interface SendRequest {
  id: number;
  url: string;
  signing: Signing;
  body: string;
}
export interface SendResult {
  id: number;
  result: AttemptResult;
}

/**
 * A Sender whose requests are made on a worker thread (`lane-thread.ts`), started on the first send.
 * Requests made in one turn of the event loop cross in one message. If the thread dies, what it had
 * in hand ends as a failed attempt (retried on schedule like any other) and the next send starts a new one.
 */
export function createLane(options: { timeoutMs: number; allowPrivate: boolean }, lane: string, logger: Logger): Sender {
  const waiting = new Map<number, (result: AttemptResult) => void>();
  let outgoing: SendRequest[] = [];
  let worker: Worker | null = null;
  let nextId = 0;

  function fail(error: string): void {
    for (const resolve of waiting.values())
      resolve({ ok: false, status: null, error, retryAfterMs: null, durationMs: 0, requestHeaders: null, responseBody: null });
    waiting.clear();
  }

  function started(): Worker {
    if (worker) return worker;
    const thread = new Worker(threadEntry(import.meta.url, 'lane-thread'), { workerData: options, name: `webhooks-${lane}` });
    thread.on('message', (results: SendResult[]) => {
      for (const { id, result } of results) {
        waiting.get(id)?.(result);
        waiting.delete(id);
      }
      if (waiting.size === 0) thread.unref();
    });
    thread.on('error', (error) => logger.error({ err: error, lane }, 'webhook sender thread failed'));
    thread.on('exit', () => {
      if (worker === thread) worker = null;
      fail('the sender thread stopped before the receiver answered');
    });
    return (worker = thread);
  }

  function flush(): void {
    const batch = outgoing;
    outgoing = [];
    const thread = started();
    // Referenced while it has work, so a process finishing its deliveries waits for their answers.
    thread.ref();
    thread.postMessage(batch);
  }

  return {
    post(url, signing, body) {
      const id = nextId++;
      if (outgoing.length === 0) setImmediate(flush);
      outgoing.push({ id, url, signing, body });
      return new Promise<AttemptResult>((resolve) => waiting.set(id, resolve));
    },
    close() {
      worker?.postMessage('close');
      worker = null;
    },
  };
}
