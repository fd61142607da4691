import http from 'node:http';
import { untilNoneLeft } from './retry.js';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** Hold the response this long (a hanging receiver). */
  delayMs?: number;
  /** The response body; "ok" by default. */
  body?: string;
}

/** A real HTTP server on loopback that records every webhook it receives and answers as told. */
export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** How to answer the nth request (0-based); 200 at once by default. */
  answer: (n: number, request: Received) => Answer;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => ({})): Promise<Receiver> {
  const timers = new Set<NodeJS.Timeout>();
  const receiver: Receiver = { url: '', port: 0, received: [], answer, close: async () => {} };
  const server = http.createServer((request, response) => {
    let body = '';
    request
      .setEncoding('utf8')
      .on('data', (chunk: string) => (body += chunk))
      .on('end', () => {
        const received = { path: request.url ?? '', headers: request.headers, body, at: Date.now() };
        const n = receiver.received.push(received) - 1;
        const { status = 200, headers = {}, delayMs = 0, body: answerBody = 'ok' } = receiver.answer(n, received);
        const reply = () => {
          timers.delete(timer);
          if (!response.destroyed) response.writeHead(status, headers).end(answerBody);
        };
        const timer = setTimeout(reply, delayMs);
        timers.add(timer);
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as { port: number }).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
  receiver.close = async () => {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return receiver;
}

/**
 * Waits until every order's created and final event (`order.<status>`) has reached the receiver, then
 * sorts what came by webhook-id: a redelivery repeats its message's id, and no id may carry two messages.
 * Returns how many messages came, and each id seen with more than one.
 */
export async function orderWebhooksDelivered(
  receiver: Receiver,
  orders: { id: string; status: string }[],
): Promise<{ messages: number; conflicts: string[] }> {
  const receipts = () =>
    receiver.received.map((r) => {
      const body = JSON.parse(r.body) as { type: string; data: { orderId: string } };
      return { id: r.headers['webhook-id'] as string, what: `${body.data.orderId} ${body.type}` };
    });
  await untilNoneLeft('webhooks delivered', async () => {
    const got = new Set(receipts().map((r) => r.what));
    return orders.flatMap((o) => [`${o.id} order.created`, `${o.id} order.${o.status}`]).filter((k) => !got.has(k));
  });
  const byId = new Map<string, string>();
  const conflicts: string[] = [];
  for (const r of receipts()) {
    if ((byId.get(r.id) ?? r.what) !== r.what) conflicts.push(`${r.id}: ${byId.get(r.id)} and ${r.what}`);
    byId.set(r.id, r.what);
  }
  return { messages: byId.size, conflicts };
}
