import { CircuitState } from 'cockatiel';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BREAKER_STATE_NAMES, type BreakerStateName, type OutboundPolicy } from './outbound.js';

export interface BreakerView {
  name: string;
  state: BreakerStateName;
  /** When the breaker last changed state (start-up if never). */
  since: string;
  /** True after a half-open probe succeeded, until enough further calls have: one failure reopens it. */
  probation: boolean;
  lastFailure: string | null;
  bulkhead: { executing: number; queued: number };
}

/** Every outbound dependency's breaker, for `GET /v1/admin/breakers` and for metrics. */
export interface BreakerRegistry {
  register(policy: OutboundPolicy): void;
  list(): BreakerView[];
}

export function createBreakerRegistry(metrics: Registry): BreakerRegistry {
  const policies: OutboundPolicy[] = [];
  const since = new Map<string, Date>();
  const state = new Gauge({
    name: 'orderly_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 isolated',
    labelNames: ['breaker'] as const,
    registers: [metrics],
    collect() {
      for (const p of policies) this.set({ breaker: p.name }, p.breaker.state);
    },
  });
  const transitions = new Counter({
    name: 'orderly_breaker_transitions_total',
    help: 'Circuit breaker state changes, by new state',
    labelNames: ['breaker', 'state'] as const,
    registers: [metrics],
  });

  return {
    register(policy) {
      policies.push(policy);
      since.set(policy.name, new Date());
      state.set({ breaker: policy.name }, CircuitState.Closed);
      policy.breaker.onStateChange((next) => {
        since.set(policy.name, new Date());
        transitions.inc({ breaker: policy.name, state: BREAKER_STATE_NAMES[next] });
      });
    },
    list: () =>
      policies.map((p) => {
        const failure = p.breaker.lastFailure;
        const reason = failure && 'error' in failure ? failure.error.message : null;
        return {
          name: p.name,
          state: BREAKER_STATE_NAMES[p.breaker.state],
          since: since.get(p.name)!.toISOString(),
          probation: p.breaker.state === CircuitState.Closed && p.breakerRule.onProbation,
          lastFailure: reason,
          bulkhead: p.bulkheadLoad(),
        };
      }),
  };
}
