import Fastify, { LogController, type FastifyReply, type FastifyRequest, type FastifyBaseLogger, type RouteOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpApp } from './types.js';
import type { Logger } from '../observability/logger.js';
import { createAccessLog, type AccessLog } from '../observability/access-log.js';
import type { Metrics } from '../observability/metrics.js';
import type { HttpDurations } from '../observability/http-durations.js';
import type { RecentLatency } from '../observability/recent-latency.js';
import type { ErrorCatalog } from './errors.js';
import { platformErrors } from './errors.js';
import { handleError, sendProblem } from './problem.js';
import { ProblemSchema } from './schemas.js';
import { registerOpenApi } from './openapi.js';
import { createValidatorCompiler } from './validation.js';
import { authorize, type Authentication } from './auth.js';
import { enforceAccessDeclarations } from './access.js';
import { clientErrorHandler, frameworkErrors, guardUrls } from './framework-errors.js';
import { browserHeaders } from './browser-headers.js';
import { registerOperations, type ReadinessCheck } from './operations.js';
import { routeReads, type RecentWriters } from './read-your-writes.js';
import type { ReplicaMonitor } from '../db/replica-monitor.js';
import type { LoadShedder } from './load-shedding.js';
import type { RateLimiter } from './rate-limits/limiter.js';
import { ProblemRef } from './schemas.js';
import { edgeLogger } from './request-logger.js';
import { RequestIds } from './request-ids.js';
import { requestSpan, traceRequests } from './tracing-hooks.js';

export type { HttpApp } from './types.js';

export interface RouteExtension {
  decorate(app: HttpApp): void;
  onRoute(route: RouteOptions, methods: string[]): void;
}

export interface HttpServerOptions {
  bodyLimit: number;
  authentication: Authentication;
  /**
   * Pieces of the platform that give routes hooks of their own (idempotency on POSTs): each decorates the
   * app once and sees every route after auth and the edge guards have been given theirs.
   */
  routeExtensions: RouteExtension[];
  logger: Logger;
  metrics: Metrics;
  errorCatalog: ErrorCatalog;
  readiness: ReadinessCheck[];
  version: string;
  rateLimiter: RateLimiter;
  loadShedder: LoadShedder;
  /**
   * Addresses or CIDRs of load balancers (ORDERLY_TRUSTED_PROXIES): a request from one of them is from the
   * client its X-Forwarded-For names, for rate limits, idempotency scopes and logs. Empty: the socket's peer.
   */
  trustedProxies: string[];
  /** Origins allowed to call from a browser (ORDERLY_CORS_ORIGINS); empty: CORS off. */
  corsOrigins: string[];
  /** Reads to the replica with read-your-writes; null without a replica. */
  readRouting: { monitor: ReplicaMonitor; writers: RecentWriters } | null;
}

export interface HttpServer {
  app: HttpApp;
  /** From now on /readyz answers 503 so load balancers stop sending traffic. */
  startDraining(): void;
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/;

const requestIds = new RequestIds();

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Where every completed request is accounted for, once: its latency observed and its one log line written
 * (none for its start). One place rather than an onResponse hook beside the log controller: Fastify builds
 * a fresh routeOptions object on every read of it, and runs no hook chain for a route without hooks.
 */
class RequestCompletion extends LogController {
  constructor(
    private readonly access: AccessLog,
    private readonly durations: HttpDurations,
    private readonly recent: RecentLatency,
  ) {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const elapsedMs = reply.elapsedTime;
    this.durations.observe(request.method, route, reply.statusCode, elapsedMs / 1000);
    this.recent.record(request.method, route, elapsedMs);
    const durationMs = Math.round(elapsedMs * 100) / 100;
    if (error) {
      reply.log.error(
        { method: request.method, url: request.url, route, statusCode: reply.statusCode, durationMs, err: error },
        'request errored',
      );
      return;
    }
    const span = requestSpan(request)?.spanContext();
    this.access({
      requestId: request.id,
      traceId: span?.traceId,
      spanId: span?.spanId,
      userId: request.principal?.userId,
      ip: request.ip,
      method: request.method,
      url: request.url,
      route,
      statusCode: reply.statusCode,
      durationMs,
    });
  }
}

/** The HTTP edge every module plugs its routes into: problem+json errors, request ids, metrics, OpenAPI. */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: edgeLogger(options.logger as FastifyBaseLogger),
    logController: new RequestCompletion(
      createAccessLog(options.logger),
      options.metrics.httpRequestDuration,
      options.metrics.recentLatency,
    ),
    bodyLimit: options.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : requestIds.next();
    },
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    forceCloseConnections: 'idle',
    trustProxy: options.trustedProxies.length > 0 ? options.trustedProxies : false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(createValidatorCompiler());

  app.decorateRequest('principal', null);
  for (const extension of options.routeExtensions) extension.decorate(app);
  app.addSchema(ProblemSchema);

  // JSON only: a text/plain body would otherwise reach validation as a string and be judged as the wrong shape.
  app.removeContentTypeParser('text/plain');
  // Empty JSON bodies are allowed (POST /logout from clients that always send the header); malformed ones are not.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    return jsonParser(request, text, done);
  });

  traceRequests(app);
  enforceAccessDeclarations(app);
  app.addHook('onRequest', options.authentication.identify);
  browserHeaders(app, { corsOrigins: options.corsOrigins });
  // After the request id and the browser headers are set, so its refusals carry them like any answer.
  app.addHook('onRequest', guardUrls);
  if (options.readRouting) routeReads(app, options.readRouting);
  // Route-level hooks only where a route needs them, so a public GET runs none of them. Order matters:
  // who may call is settled before the body is judged, and both before an Idempotency-Key is claimed.
  // Under /v1 every route is shed by priority and rate-limited by class, overload first: a refusal for
  // overload costs less than a bucket lookup.
  app.addHook('onRoute', (route) => {
    if (route.config?.auth && route.config.auth !== 'public') route.preValidation = [authorize, ...asArray(route.preValidation)];
    const methods = asArray(route.method);
    if (route.url.startsWith('/v1/'))
      guardEdge(
        route,
        methods.every((m) => m === 'GET' || m === 'HEAD'),
      );
    for (const extension of options.routeExtensions) extension.onRoute(route, methods);
  });

  function guardEdge(route: RouteOptions, reads: boolean): void {
    const config = route.config ?? {};
    const priority = config.priority ?? (route.url.startsWith('/v1/admin/') ? 'never' : reads ? 'browse' : 'orders');
    const classes = config.rateLimit ?? (reads ? ['browse' as const] : ['writes' as const]);
    const early = classes ? options.rateLimiter.onRequest(classes) : null;
    const late = classes ? options.rateLimiter.preHandler(classes) : null;
    route.onRequest = [
      ...(priority === 'never' ? [] : [options.loadShedder.hook(priority, config.longLived === true)]),
      ...(early ? [early] : []),
      ...asArray(route.onRequest),
    ];
    if (late) route.preHandler = [late, ...asArray(route.preHandler)];
    if (route.schema) {
      const documented = { ...(priority === 'never' ? {} : { 503: ProblemRef }), ...(classes ? { 429: ProblemRef } : {}) };
      route.schema = { ...route.schema, response: { ...documented, ...(route.schema.response as object | undefined) } };
    }
  }

  let draining = false;

  app.setErrorHandler((error, request, reply) => handleError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, platformErrors.error('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );

  await registerOpenApi(app, { errorCatalog: options.errorCatalog, version: options.version });
  registerOperations(app, {
    metrics: options.metrics,
    readiness: options.readiness,
    isDraining: () => draining,
    load: () => options.loadShedder.view(),
  });
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
