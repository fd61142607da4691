import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyReply, type FastifyRequest, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpApp } from './types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ErrorCatalog } from './errors.js';
import { platformErrors } from './errors.js';
import { handleError, sendProblem } from './problem.js';
import { ProblemSchema } from './schemas.js';
import type { Histogram } from 'prom-client';
import { registerOpenApi } from './openapi.js';
import { createValidatorCompiler } from './validation.js';
import { authorize, type Authentication } from './auth.js';
import type { IdempotencyHooks } from '../idempotency/hooks.js';
import { registerOperations, type ReadinessCheck } from './operations.js';

export type { HttpApp } from './types.js';

export interface HttpServerOptions {
  bodyLimit: number;
  authentication: Authentication;
  idempotency: IdempotencyHooks;
  logger: Logger;
  metrics: Metrics;
  errorCatalog: ErrorCatalog;
  readiness: ReadinessCheck[];
  version: string;
}

export interface HttpServer {
  app: HttpApp;
  /** From now on /readyz answers 503 so load balancers stop sending traffic. */
  startDraining(): void;
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/;

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** One line per request, when it completes, with what an operator greps for; no line for its start. */
class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/** The HTTP edge every module plugs its routes into: problem+json errors, request ids, metrics, OpenAPI. */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: options.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(createValidatorCompiler());

  app.decorateRequest('principal', null);
  app.decorateRequest('idempotency', null);
  app.addSchema(ProblemSchema);

  // Empty JSON bodies are allowed (POST /logout from clients that always send the header); malformed ones are not.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    return jsonParser(request, text, done);
  });

  app.addHook('onRequest', options.authentication.identify);
  // Route-level hooks only where a route needs them, so a public GET runs none of them. Order matters:
  // who may call is settled before the body is judged, and both before an Idempotency-Key is claimed.
  app.addHook('onRoute', (route) => {
    if (route.config?.auth) route.preValidation = [authorize, ...asArray(route.preValidation)];
    const methods = asArray(route.method);
    if (methods.includes('POST') && route.config?.idempotency !== 'off') {
      route.preHandler = [options.idempotency.preHandler, ...asArray(route.preHandler)];
      route.onSend = [...asArray(route.onSend), options.idempotency.onSend];
      route.onResponse = [...asArray(route.onResponse), options.idempotency.onResponse];
    }
  });

  // Hooks on every request use callbacks, not async functions: a promise per hook per request shows in the profile.
  let draining = false;
  // One histogram child per (method, route, status): resolving labels on every observation shows in the profile.
  const timers = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let timer = timers.get(key);
    if (!timer) {
      timer = options.metrics.httpRequestDuration.labels(request.method, route, String(reply.statusCode));
      timers.set(key, timer);
    }
    timer.observe(reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((error, request, reply) => handleError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, platformErrors.error('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );

  await registerOpenApi(app, { errorCatalog: options.errorCatalog, version: options.version });
  registerOperations(app, { metrics: options.metrics, readiness: options.readiness, isDraining: () => draining });
  return {
    app,
    startDraining: () => {
      if (draining) return;
      draining = true;
      // Keep-alive sockets would hold shutdown open: close each as soon as its in-flight request is answered.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50).unref();
      app.server.once('close', () => clearInterval(sweep));
    },
  };
}
