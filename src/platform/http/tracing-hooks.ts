import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  SpanKind,
  beginSpan,
  contextOfHeaders,
  contextWith,
  endSpan,
  runIn,
  traceparentOf,
  tracingEnabled,
  type Context,
  type Span,
} from '../observability/tracing.js';

const traced = new WeakMap<FastifyRequest, { span: Span; context: Context }>();

/** The server span of a request, while tracing. */
export function requestSpan(request: FastifyRequest): Span | undefined {
  return traced.get(request)?.span;
}

/**
 * A server span per request, under the caller's `traceparent` when it sends one, and the span's own
 * `traceparent` in the response. The span is made active for the hooks and the handler; it is entered again
 * after the body is parsed, because the body's stream events carry the connection's context, not the
 * request's. Nothing is added when tracing is off.
 */
export function traceRequests(app: FastifyInstance): void {
  if (!tracingEnabled()) return;
  app.addHook('onRequest', (request, reply, done) => {
    const parent = contextOfHeaders(request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = beginSpan(
      `${request.method} ${route}`,
      SpanKind.SERVER,
      {
        'http.request.method': request.method,
        'http.route': route,
        'url.path': request.url.split('?', 1)[0]!,
        'orderly.request_id': request.id,
      },
      parent,
    )!;
    const active = contextWith(parent, span);
    traced.set(request, { span, context: active });
    reply.header('traceparent', traceparentOf(span));
    runIn(active, done);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const entry = traced.get(request);
    if (entry) runIn(entry.context, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const entry = traced.get(request);
    if (entry) {
      const status = reply.statusCode;
      endSpan(entry.span, status >= 500 ? new Error(`answered ${status}`) : undefined, { 'http.response.status_code': status });
    }
    done();
  });
}
