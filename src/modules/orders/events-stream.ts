import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OrdersService } from './service.js';
import { isFinal, type OrderStatus } from './status.js';

export interface StreamOptions {
  pollIntervalMs: number;
  heartbeatMs: number;
}

/**
 * Serves an order's timeline as Server-Sent Events: every entry so far, then each new one as it is
 * written (by any process: the stream reads the database), closing after the order's final status.
 * `Last-Event-ID` resumes after the entry a client saw last.
 */
export function streamTimeline(service: OrdersService, streams: Set<() => void>, options: StreamOptions) {
  return async (request: FastifyRequest, reply: FastifyReply, orderId: string, status: OrderStatus) => {
    const lastEventId = request.headers['last-event-id'];
    let cursor = typeof lastEventId === 'string' && /^tml_[0-9a-f]{32}$/.test(lastEventId) ? lastEventId : undefined;
    reply.hijack();
    const res = reply.raw;
    // Hijacked, the reply sends nothing itself: the edge's headers (security, CORS, rate limits) go by hand.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'private, no-store',
      connection: 'keep-alive',
      'x-request-id': request.id,
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');

    let open = true;
    let final = isFinal(status);
    const close = () => {
      if (!open) return;
      open = false;
      streams.delete(close);
      res.end();
    };
    streams.add(close);
    request.raw.on('close', close);

    let lastWrite = Date.now();
    while (open) {
      const entries = await service.timelineSince(orderId, cursor).catch(() => []);
      for (const { id, entry } of entries) {
        res.write(`id: ${id}\nevent: timeline\ndata: ${JSON.stringify(entry)}\n\n`);
        cursor = id;
        lastWrite = Date.now();
        if (isFinal(entry.status)) final = true;
      }
      if (final && entries.length === 0) break;
      if (Date.now() - lastWrite > options.heartbeatMs) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
    }
    close();
  };
}
