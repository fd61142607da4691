// The worker thread that makes webhook HTTP requests: connecting, writing and parsing responses for
// thousands of deliveries would otherwise share the event loop with the database and the API.
import { parentPort, workerData } from 'node:worker_threads';
import { createSender, type AttemptResult } from './sender.js';
import type { SendRequest, SendResult } from './threaded-sender.js';

// Opening a connection costs many times what reusing one does. A request that can reuse an idle connection
// goes out at once; those that need a new one are started at most this many per turn of the loop, taken
// from each pool in turn. Otherwise thousands of new connections to slow receivers would hold up requests
// to quick endpoints that are already connected.
const NEW_CONNECTIONS_PER_TURN = 64;

const port = parentPort!;
const sender = createSender(workerData as { timeoutMs: number; allowPrivate: boolean });
/** Waiting requests by connection pool (origin), in arrival order. */
const pools = new Map<string, { url: URL; request: SendRequest }[]>();
let scheduled = false;
let results: SendResult[] = [];

// Results finishing in one turn of the loop go back in one message.
function reply(id: number, result: AttemptResult): void {
  if (results.length === 0) setImmediate(() => {
    port.postMessage(results);
    results = [];
  });
  results.push({ id, result });
}

function start({ request }: { request: SendRequest }): void {
  void sender.post(request.url, request.signing, request.body).then((result) => reply(request.id, result));
}

/** Starts every waiting request that can go out on an idle connection. */
function startReused(): void {
  for (const [pool, queue] of pools) {
    // Each start takes an idle connection there and then, so the count falls as this goes.
    while (queue.length > 0 && sender.idleConnections(queue[0]!.url) > 0) start(queue.shift()!);
    if (queue.length === 0) pools.delete(pool);
  }
}

function turn(): void {
  scheduled = false;
  startReused();
  for (let opened = 0; opened < NEW_CONNECTIONS_PER_TURN && pools.size > 0; opened += 1) {
    // The first pool in line opens one connection and, if it has more waiting, goes to the back of the line.
    const [pool, queue] = pools.entries().next().value as [string, { url: URL; request: SendRequest }[]];
    start(queue.shift()!);
    pools.delete(pool);
    if (queue.length > 0) pools.set(pool, queue);
  }
  if (pools.size > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(turn);
}

port.on('message', (batch: SendRequest[] | 'close') => {
  if (batch === 'close') {
    sender.close();
    port.close();
    return;
  }
  for (const request of batch) {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      start({ request });
      continue;
    }
    const pool = sender.poolOf(url);
    const queue = pools.get(pool);
    if (queue) queue.push({ url, request });
    else pools.set(pool, [{ url, request }]);
  }
  startReused();
  schedule();
});
