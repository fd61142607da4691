// The worker thread that makes webhook HTTP requests: connecting, writing and parsing responses for
// thousands of deliveries would otherwise share the event loop with the database and the API.
import { parentPort, workerData } from 'node:worker_threads';
import { createDirectSender, type AttemptResult } from './http-request.js';
import type { SendRequest, SendResult } from './lane.js';

// Opening a connection costs many times what reusing one does, so requests needing a new one are started at
// most this many per turn of the loop, the pools (origins) taking turns. Otherwise thousands of new
// connections to slow receivers would hold up requests to quick endpoints that are already connected.
const NEW_CONNECTIONS_PER_TURN = 64;
// Reusing a connection is cheap, but hundreds of starts in a row still keep answers waiting.
const REUSED_PER_TURN = 256;

const port = parentPort!;
const sender = createDirectSender(workerData as { timeoutMs: number; allowPrivate: boolean });
/** Waiting requests by connection pool (origin), in arrival order. */
const pools = new Map<string, { target: URL; request: SendRequest }[]>();
let scheduled = false;
let results: SendResult[] = [];

// Results finishing in one turn of the loop go back in one message.
function reply(id: number, result: AttemptResult): void {
  if (results.length === 0)
    setImmediate(() => {
      port.postMessage(results);
      results = [];
    });
  results.push({ id, result });
}

function start(request: SendRequest, target: URL): void {
  void sender.send(target, request.signing, request.body).then((result) => reply(request.id, result));
}

/**
 * One turn: pools take turns starting one request each, on an idle connection when there is one, else on a
 * new connection while this turn's allowance lasts; a pool that can do neither waits for the next turn.
 */
function turn(): void {
  scheduled = false;
  let reused = 0;
  let opened = 0;
  let stuck = 0;
  while (pools.size > 0 && stuck < pools.size && reused < REUSED_PER_TURN) {
    const [pool, queue] = pools.entries().next().value as [string, { target: URL; request: SendRequest }[]];
    pools.delete(pool);
    const reuse = sender.idleConnections(pool) > 0;
    if (reuse || opened < NEW_CONNECTIONS_PER_TURN) {
      const { request, target } = queue.shift()!;
      start(request, target);
      if (reuse) reused += 1;
      else opened += 1;
      stuck = 0;
    } else {
      stuck += 1;
    }
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
    let target: URL;
    try {
      target = new URL(request.url);
    } catch {
      // Saved URLs were parsed when saved; should one not parse, it is a failed attempt like any other.
      reply(request.id, {
        ok: false,
        status: null,
        error: `not a URL: ${request.url}`,
        retryAfterMs: null,
        durationMs: 0,
        requestHeaders: null,
        responseBody: null,
      });
      continue;
    }
    const pool = sender.poolOf(target);
    const queue = pools.get(pool);
    if (queue) queue.push({ target, request });
    else pools.set(pool, [{ target, request }]);
  }
  schedule();
});
