import { SpanKind, beginSpan, contextFrom, endSpan, traceparentOf } from '../../platform/observability/tracing.js';
import type { WebhookMetrics } from './metrics.js';
import type { Job } from './outcomes.js';
import type { AttemptResult, Sender } from './http-request.js';
import type { EndpointRow } from './store.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';

/** Where requests are made: two senders, each on a thread of its own (see `attempt`). */
export interface SenderLanes {
  express: Sender;
  bulk: Sender;
}

interface EndpointState {
  url: string;
  secrets: string[];
  /** The stored (sealed) secrets `secrets` were opened from: opened again only when they change. */
  sealed: string;
  active: number;
  /** Its last attempt was answered within a second: its requests may go in the express lane. */
  prompt: boolean;
  queue: Job[];
  /** Slots promised to hand-offs whose transaction has not committed yet. */
  reserved: number;
  disabled: boolean;
}

// The express lane is for endpoints whose last attempt was answered within PROMPT_MS and that have at most
// EXPRESS_IN_FLIGHT requests open; the rest (new endpoints too, until they answer) use the bulk lane.
const EXPRESS_IN_FLIGHT = 32;
const PROMPT_MS = 1_000;

function attemptAttributes(state: EndpointState, job: Job) {
  return {
    'url.full': state.url,
    'orderly.webhook.id': job.messageId,
    'orderly.webhook.endpoint_id': job.endpointId,
    'orderly.webhook.attempt': job.attempt,
  };
}

/** The stored secrets to sign with: the current one, and the previous one while its overlap lasts. */
function sealedSecretsOf(e: EndpointRow, now: Date): string[] {
  const overlap = e.previous_secret !== null && e.previous_secret_until !== null && e.previous_secret_until > now.toISOString();
  return overlap ? [e.secret, e.previous_secret!] : [e.secret];
}

/**
 * One queue per endpoint, each with its own concurrency limit, so a hanging receiver fills only its own
 * slots. `room` counts what an endpoint may still be handed (queued or in flight up to twice its limit).
 * A finished attempt goes to `finished` (attempted, or released unsent when the endpoint was disabled or
 * the dispatcher is stopping); `freed` hears when a full endpoint has room again.
 */
export function createEndpointQueues(deps: {
  senders: SenderLanes;
  secrets: SecretBox;
  metrics: WebhookMetrics;
  concurrency: number;
  sending: () => boolean;
  finished: (job: Job, outcome: { result: AttemptResult; at: Date } | 'released') => void;
  freed: () => void;
}) {
  const { senders, metrics } = deps;
  const capacity = deps.concurrency * 2;
  const endpoints = new Map<string, EndpointState>();
  let inFlight = 0;

  function room(endpointId: string): number {
    const state = endpoints.get(endpointId);
    return state ? capacity - state.active - state.queue.length - state.reserved : capacity;
  }

  /** The endpoint's state, refreshed from a row just read as enabled. */
  function stateOf(row: EndpointRow, now: Date): EndpointState {
    let state = endpoints.get(row.id);
    if (!state)
      endpoints.set(
        row.id,
        (state = { url: row.url, secrets: [], sealed: '', active: 0, prompt: false, queue: [], reserved: 0, disabled: false }),
      );
    const sealed = sealedSecretsOf(row, now);
    if (sealed.join(' ') !== state.sealed) Object.assign(state, { secrets: sealed.map(deps.secrets.open), sealed: sealed.join(' ') });
    Object.assign(state, { url: row.url, disabled: false });
    return state;
  }

  /**
   * Endpoints that answer promptly and have few requests open are sent to from the express lane; the rest,
   * and endpoints not heard from yet, from the bulk lane. Thousands of connections opening to slow receivers
   * keep a thread's event loop busy for tens of milliseconds a turn; on a thread of its own, a prompt
   * endpoint's request is not queued behind them, and the operating system runs that mostly idle thread as
   * soon as it has work.
   */
  async function attempt(state: EndpointState, job: Job): Promise<void> {
    const lane = state.prompt && state.active <= EXPRESS_IN_FLIGHT ? senders.express : senders.bulk;
    const span = beginSpan(`webhook deliver ${job.type}`, SpanKind.CLIENT, attemptAttributes(state, job), contextFrom(job.traceparent));
    // Signed where it is sent (the sender's thread): an HMAC per delivery is work the event loop need not do.
    const result = await lane.post(
      state.url,
      {
        messageId: job.messageId,
        timestamp: Math.floor(Date.now() / 1000),
        secrets: state.secrets,
        ...(span ? { traceparent: traceparentOf(span) } : {}),
      },
      job.body,
    );
    endSpan(span, result.ok ? undefined : new Error(result.error ?? `answered ${result.status}`), {
      'http.response.status_code': result.status ?? 0,
    });
    state.prompt = result.status !== null && result.durationMs < PROMPT_MS;
    metrics.attempt(result.ok ? 'succeeded' : 'failed', result.durationMs, job.endpointId);
    if (result.ok) metrics.delivered(job.occurredAt);
    if (result.status === 410) state.disabled = true;
    deps.finished(job, { result, at: new Date() });
  }

  /** Starts what the endpoint's limit allows of its queue. */
  function pump(endpointId: string): void {
    const state = endpoints.get(endpointId)!;
    while (state.active < deps.concurrency && state.queue.length > 0) {
      const job = state.queue.shift()!;
      if (state.disabled || !deps.sending()) {
        deps.finished(job, 'released');
        continue;
      }
      state.active += 1;
      inFlight += 1;
      void attempt(state, job).finally(() => {
        const wasFull = room(endpointId) <= 0;
        state.active -= 1;
        inFlight -= 1;
        pump(endpointId);
        // Claims skip a full endpoint: look again once it has room. Otherwise new work wakes the loop itself.
        if (wasFull && state.queue.length === 0) deps.freed();
      });
    }
  }

  return {
    room,
    /** Endpoints with something queued or in flight here, and those with no room left. */
    busy: () => [...endpoints].filter(([, e]) => e.active + e.queue.length > 0).map(([id]) => id),
    full: () => [...endpoints.keys()].filter((id) => room(id) <= 0),
    /** Promises a slot to a delivery whose transaction has not committed yet; `keep` settles the promise. */
    reserve(row: EndpointRow, now: Date) {
      stateOf(row, now).reserved += 1;
    },
    unreserve(endpointId: string) {
      endpoints.get(endpointId)!.reserved -= 1;
    },
    enqueue(row: EndpointRow, job: Job, now: Date) {
      stateOf(row, now).queue.push(job);
    },
    /** Queues a job for an endpoint whose state is known (a slot reserved for it). */
    enqueueKnown(job: Job) {
      endpoints.get(job.endpointId)!.queue.push(job);
    },
    pump,
    /** Sends what each endpoint may send now; on stop, gives back what is queued. */
    pumpAll() {
      for (const id of endpoints.keys()) pump(id);
    },
    load: () => ({ inFlight, queued: [...endpoints.values()].reduce((n, s) => n + s.queue.length, 0) }),
    inFlight: () => inFlight,
  };
}

export type EndpointQueues = ReturnType<typeof createEndpointQueues>;
