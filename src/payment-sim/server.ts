import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { RefundRefused, SLOW_CHARGE_MS, openProviderLedger, tokenOutcome } from '../modules/payments/index.js';
import type { Logger } from '../platform/observability/logger.js';
import { traceRequests } from '../platform/http/tracing-hooks.js';
import { FaultsSchema, emptyStats, recordAbandoned, type Faults } from './faults.js';

const ChargeBody = Type.Object({
  amount: Type.Integer({ minimum: 1 }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  source: Type.String({ minLength: 1, maxLength: 100 }),
  reference: Type.String({ minLength: 1, maxLength: 200 }),
});
const RefundBody = Type.Object({ charge: Type.String({ minLength: 1 }), amount: Type.Integer({ minimum: 1 }) });

export interface PaymentSim {
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function apiError(reply: FastifyReply, status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
  return reply.status(status).send({ error: { type, message, ...extra } });
}

function idempotencyKeyOf(request: FastifyRequest): string | null {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' && key.length > 0 && key.length <= 255 ? key : null;
}

/**
 * `orderly payment-sim`: a card processor over HTTP, with a Stripe-like API, its own durable ledger,
 * and faults an operator (or a test) switches on at run time. Orderly only ever sees it over the network.
 */
export function createPaymentSim(ledgerFile: string, logger?: Logger): PaymentSim {
  const ledger = openProviderLedger(ledgerFile);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // With tracing on, each request continues its caller's trace, and the log lines below carry it.
  traceRequests(app);
  let faults: Faults = {};
  let stats = emptyStats();
  const callsPerKey = new Map<string, { charges: number; lookups: number }>();
  /** Requests whose connection the simulator itself cut: not abandoned by the client. */
  const dropped = new WeakSet<FastifyRequest>();

  // Faults apply to the API only; the admin endpoints keep answering so faults can be cleared.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    stats.requests += 1;
    // Counted on arrival, so calls a fault answers for are counted too: that is how retries show.
    if (request.url.startsWith('/v1/charges')) {
      const posted = request.method === 'POST';
      if (posted) stats.charges += 1;
      else stats.lookups += 1;
      const key = posted ? idempotencyKeyOf(request) : (request.query as { idempotency_key?: string }).idempotency_key;
      if (key) {
        const seen = callsPerKey.get(key) ?? { charges: 0, lookups: 0 };
        seen[posted ? 'charges' : 'lookups'] += 1;
        callsPerKey.set(key, seen);
      }
    }
    stats.inFlight += 1;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    const started = Date.now();
    reply.raw.once('close', () => {
      stats.inFlight -= 1;
      if (!reply.raw.writableFinished && !dropped.has(request)) recordAbandoned(stats, Date.now() - started);
    });
    if (faults.down) return drop(request, reply);
    if (faults.latencyMs) await sleep(faults.latencyMs);
    if (faults.hang) {
      reply.hijack();
      return;
    }
    if (faults.failureRate && Math.random() < faults.failureRate) return apiError(reply, 500, 'api_error', 'simulated provider failure');
  });

  function drop(request: FastifyRequest, reply: FastifyReply) {
    dropped.add(request);
    reply.hijack();
    request.raw.socket.destroy();
  }

  app.post('/v1/charges', async (request, reply) => {
    const key = idempotencyKeyOf(request);
    if (!key) return apiError(reply, 400, 'invalid_request_error', 'an Idempotency-Key header is required');
    if (!Value.Check(ChargeBody, request.body))
      return apiError(reply, 400, 'invalid_request_error', 'amount, currency, source and reference are required');
    const body = request.body;
    const outcome = tokenOutcome(body.source);
    if (outcome === 'unavailable') return apiError(reply, 500, 'api_error', `processor error for ${body.source}`);
    if (outcome === 'slow') await sleep(SLOW_CHARGE_MS);
    const result = ledger.charge(
      { idempotencyKey: key, amount: body.amount, currency: body.currency, token: body.source, reference: body.reference },
      outcome === 'succeed' || outcome === 'slow' ? 'succeeded' : outcome,
    );
    logger?.info({ reference: body.reference, idempotencyKey: key, status: result.status, charge: result.chargeId }, 'charge');
    if (faults.loseResponses) return drop(request, reply);
    if (result.status === 'declined')
      return apiError(reply, 402, 'card_error', 'the card was declined', { code: result.code, charge: result.chargeId });
    return {
      id: result.chargeId,
      object: 'charge',
      status: 'succeeded',
      amount: result.amount,
      currency: result.currency,
      reference: body.reference,
    };
  });

  app.get('/v1/charges', async (request, reply) => {
    const key = (request.query as { idempotency_key?: string }).idempotency_key;
    if (!key) return apiError(reply, 400, 'invalid_request_error', 'idempotency_key is required');
    const found = ledger.findCharge(key);
    return {
      data: found
        ? [
            found.status === 'succeeded'
              ? { id: found.chargeId, object: 'charge', status: 'succeeded', amount: found.amount, currency: found.currency }
              : { id: found.chargeId, object: 'charge', status: 'declined', code: found.code },
          ]
        : [],
    };
  });

  app.post('/v1/refunds', async (request, reply) => {
    stats.refunds += 1;
    const key = idempotencyKeyOf(request);
    if (!key) return apiError(reply, 400, 'invalid_request_error', 'an Idempotency-Key header is required');
    if (!Value.Check(RefundBody, request.body)) return apiError(reply, 400, 'invalid_request_error', 'charge and amount are required');
    try {
      const refund = ledger.refund(key, request.body.charge, request.body.amount);
      if (faults.loseResponses) return drop(request, reply);
      return { id: refund.refundId, object: 'refund', charge: refund.chargeId, amount: refund.amount };
    } catch (error) {
      if (error instanceof RefundRefused) return apiError(reply, 400, 'invalid_request_error', error.message);
      throw error;
    }
  });

  app.get('/v1/ledger', async () => ({ entries: ledger.entries() }));

  app.get('/admin/faults', async () => faults);
  app.post('/admin/faults', async (request, reply) => {
    const body = request.body ?? {};
    if (!Value.Check(FaultsSchema, body))
      return apiError(reply, 400, 'invalid_request_error', 'faults: failureRate 0..1, latencyMs ≥ 0, hang, loseResponses, down');
    faults = body;
    return faults;
  });
  app.get('/admin/stats', async (request) => {
    const key = (request.query as { key?: string }).key;
    return { ...stats, ...(key === undefined ? {} : { forKey: callsPerKey.get(key) ?? { charges: 0, lookups: 0 } }) };
  });
  app.post('/admin/stats/reset', async () => {
    stats = emptyStats(stats.inFlight);
    callsPerKey.clear();
    return stats;
  });
  app.get('/healthz', async () => ({ status: 'ok' }));

  return {
    listen: (port, host) => app.listen({ port, host }),
    async close() {
      await app.close();
      ledger.close();
    },
  };
}
