import { SpanKind, inSpan, traceparentOf } from '../../../platform/observability/tracing.js';
import { LRUCache } from 'lru-cache';
import { isRefusedFast, isTimeout, type OutboundPolicy } from '../../../platform/resilience/outbound.js';
import { ProviderUnavailable, type ChargeResult, type DeclineCode, type PaymentProvider, type ProviderLedgerEntry } from '../provider.js';

export interface HttpProviderOptions {
  /** Base URL of a provider speaking the `orderly payment-sim` API (Stripe-like). */
  baseUrl: string;
  /** Timeout, retries, breaker and bulkhead around every charge, lookup and refund. */
  policy: OutboundPolicy;
}

/** An HTTP answer the provider gave; 5xx and 429 are worth retrying, the rest are answers. */
export class ProviderHttpError extends Error {
  override name = 'ProviderHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Failures worth another try: no answer at all (connection refused or reset) or a provider-side error. */
export function isTransientProviderFailure(error: unknown): boolean {
  if (error instanceof ProviderHttpError) return error.status >= 500 || error.status === 429;
  return error instanceof TypeError; // fetch's network failures
}

interface SimCharge {
  id: string;
  status: 'succeeded' | 'declined';
  amount?: number;
  currency?: string;
  code?: DeclineCode;
}

/**
 * The payment port over HTTP, for a provider in another process. Every call runs under the outbound
 * policy; after any failed attempt the next one asks for the charge by its idempotency key before
 * charging again, so a lost answer never becomes a second charge.
 */
export function createHttpProvider(options: HttpProviderOptions): PaymentProvider {
  const base = options.baseUrl.replace(/\/+$/, '');
  /**
   * Keys whose last call ended without a trustworthy answer; the next call looks before it charges.
   * Bounded: a key forgotten here is still safe, as the provider's own idempotency makes a repeat a replay.
   */
  const uncertain = new LRUCache<string, true>({ max: 100_000 });

  async function call(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; json: unknown }> {
    const route = path.split('?', 1)[0]!;
    const attributes = { 'http.request.method': method, 'server.address': base, 'url.path': route };
    // A client span per call, whose traceparent the provider continues.
    return inSpan(`payments ${method} ${route}`, SpanKind.CLIENT, attributes, async (span) => {
      const response = await fetch(`${base}${path}`, {
        method,
        signal,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          ...(span ? { traceparent: traceparentOf(span) } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      span?.setAttribute('http.response.status_code', response.status);
      const json: unknown = await response.json().catch(() => null);
      if (response.status >= 500 || response.status === 429)
        throw new ProviderHttpError(response.status, `provider answered ${response.status} to ${method} ${path}`);
      return { status: response.status, json };
    });
  }

  function chargeResult(charge: SimCharge): ChargeResult {
    return charge.status === 'succeeded'
      ? { status: 'succeeded', chargeId: charge.id, amount: charge.amount!, currency: charge.currency! }
      : { status: 'declined', chargeId: charge.id, code: charge.code ?? 'card_declined' };
  }

  async function lookup(key: string, signal: AbortSignal): Promise<ChargeResult | null> {
    const { status, json } = await call('GET', `/v1/charges?idempotency_key=${encodeURIComponent(key)}`, signal);
    if (status !== 200) throw new ProviderHttpError(status, `charge lookup answered ${status}`);
    const found = (json as { data: SimCharge[] }).data[0];
    return found ? chargeResult(found) : null;
  }

  /** Runs under the policy; whatever fails is reported as ProviderUnavailable, flagged as an outage when nothing got through. */
  async function guarded<T>(what: string, fn: (signal: AbortSignal, attempt: number) => Promise<T>): Promise<T> {
    try {
      return await options.policy.execute(({ signal, attempt }) => fn(signal, attempt));
    } catch (error) {
      if (error instanceof ProviderHttpError && !isTransientProviderFailure(error)) throw error;
      const outage = isRefusedFast(error) || isTimeout(error) || error instanceof TypeError;
      const reason = isTimeout(error) ? 'timed out' : error instanceof Error ? error.message : String(error);
      throw new ProviderUnavailable(`payment provider ${what}: ${reason}`, outage, { cause: error });
    }
  }

  return {
    name: 'http',
    async charge(request) {
      const key = request.idempotencyKey;
      const result = await guarded('charge', async (signal, attempt) => {
        if (attempt > 1 || request.lookupFirst || uncertain.has(key)) {
          const found = await lookup(key, signal);
          if (found) return found;
        }
        uncertain.set(key, true);
        const { status, json } = await call(
          'POST',
          '/v1/charges',
          signal,
          { amount: request.amount, currency: request.currency, source: request.token, reference: request.reference },
          key,
        );
        if (status === 200) return chargeResult(json as SimCharge);
        const error = (json as { error?: { type?: string; code?: DeclineCode; charge?: string } } | null)?.error;
        if (status === 402 && error?.charge)
          return { status: 'declined', chargeId: error.charge, code: error.code ?? 'card_declined' } satisfies ChargeResult;
        // Type and code only: the provider's message may quote the card token.
        throw new ProviderHttpError(status, `charge answered ${status}: ${error?.type ?? 'unknown'} ${error?.code ?? ''}`.trim());
      });
      uncertain.delete(key);
      return result;
    },
    async refund(request) {
      return guarded('refund', async (signal) => {
        const { status, json } = await call(
          'POST',
          '/v1/refunds',
          signal,
          { charge: request.chargeId, amount: request.amount },
          request.idempotencyKey,
        );
        if (status !== 200) throw new ProviderHttpError(status, `refund answered ${status}: ${JSON.stringify(json)}`);
        const refund = json as { id: string; charge: string; amount: number };
        return { refundId: refund.id, chargeId: refund.charge, amount: refund.amount };
      });
    },
    findCharge: (key) => guarded('lookup', (signal) => lookup(key, signal)),
    async ledger() {
      // An operator's audit, not the checkout path: no breaker, just a generous timeout.
      const { status, json } = await call('GET', '/v1/ledger', AbortSignal.timeout(30_000));
      if (status !== 200) throw new ProviderHttpError(status, `ledger answered ${status}`);
      return (json as { entries: ProviderLedgerEntry[] }).entries;
    },
    async close() {},
  };
}
