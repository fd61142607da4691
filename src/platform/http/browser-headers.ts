import type { onRequestHookHandler } from 'fastify';
import type { HttpApp } from './types.js';

export interface BrowserHeadersOptions {
  /** Origins (`https://shop.example`) whose pages may call the API with credentials; none: CORS is off. */
  corsOrigins: string[];
}

// What a page on an allowed origin may send and read beyond the CORS-safelisted headers.
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, if-match, if-none-match, x-request-id, traceparent';
const EXPOSED_HEADERS = [
  'x-request-id',
  'location',
  'etag',
  'retry-after',
  'idempotent-replayed',
  'ratelimit',
  'ratelimit-policy',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'traceparent',
].join(', ');
const PREFLIGHT_MAX_AGE_S = '600';
const HSTS = 'max-age=31536000; includeSubDomains';

/** What every answer carries for browsers, whatever the request: also written where no hook runs (framework-errors.ts). */
export const ALWAYS_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;

/**
 * Headers for browsers on every answer, problems and 404s included (a root onRequest hook runs before any
 * route or error can answer): no MIME sniffing, no Referer leaving for elsewhere, and HSTS when the request
 * came over TLS, to us or to a trusted proxy (Fastify reads X-Forwarded-Proto only from ORDERLY_TRUSTED_PROXIES).
 * CORS answers only the listed origins, with credentials; any other origin gets no CORS header at all, and a
 * preflight from it falls through to the 404 an OPTIONS request gets anyway.
 */
export function browserHeaders(app: HttpApp, options: BrowserHeadersOptions): void {
  const allowed = new Set(options.corsOrigins);
  const hook: onRequestHookHandler = (request, reply, done) => {
    reply.headers(ALWAYS_HEADERS);
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    if (allowed.size === 0) return done();
    // Answers differ by Origin from here on: a shared cache must keep them apart.
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return done();
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
        .code(204)
        .send();
      return;
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    done();
  };
  app.addHook('onRequest', hook);
}
