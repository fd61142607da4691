// The worker thread that makes webhook HTTP requests: connecting, writing and parsing responses for
// thousands of deliveries would otherwise share the event loop with the database and the API.
import { parentPort, workerData } from 'node:worker_threads';
import { createSender, type AttemptResult } from './sender.js';
import type { SendRequest, SendResult } from './threaded-sender.js';

// Requests started per turn of the loop before answers and other I/O get a turn. Opening a connection
// costs far more than reusing one, so thousands of new connections to slow receivers would otherwise hold
// up a request to a quick, already connected endpoint.
const STARTS_PER_TURN = 64;

const port = parentPort!;
const sender = createSender(workerData as { timeoutMs: number; allowPrivate: boolean });
/** Waiting requests by URL, taken in turn, so an endpoint with a long queue does not delay one with a short one. */
const queues = new Map<string, SendRequest[]>();
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

function startSome(): void {
  scheduled = false;
  for (let started = 0; started < STARTS_PER_TURN && queues.size > 0; started += 1) {
    // The first URL in line sends one request and, if it has more, goes to the back of the line.
    const [url, queue] = queues.entries().next().value as [string, SendRequest[]];
    const { id, headers, body } = queue.shift()!;
    queues.delete(url);
    if (queue.length > 0) queues.set(url, queue);
    void sender.post(url, headers, body).then((result) => reply(id, result));
  }
  if (queues.size > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(startSome);
}

port.on('message', (batch: SendRequest[] | 'close') => {
  if (batch === 'close') {
    sender.close();
    port.close();
    return;
  }
  for (const request of batch) {
    const queue = queues.get(request.url);
    if (queue) queue.push(request);
    else queues.set(request.url, [request]);
  }
  schedule();
});
