import type { ShedderState } from '../platform/http/load-shedding.js';
import type { RateClass, RateClassName } from '../platform/http/rate-limits/limiter.js';
import type { BreakerRegistry } from '../platform/resilience/registry.js';
import { breakerStates, type BreakerState } from './summary.js';

export interface EdgeSources {
  /** The classes in force (defaults with ORDERLY_RATE_LIMITS applied), or 'off'. */
  rateClasses: Record<RateClassName, RateClass> | 'off';
  loadShedding(): ShedderState;
  breakers: BreakerRegistry;
}

export interface EdgeState {
  rateLimits: { enabled: boolean; classes: ({ name: string } & RateClass)[] };
  loadShedding: ShedderState;
  breakers: BreakerState[];
}

/** What guards the edge of this process right now: the limits it enforces, its shedding, its breakers. */
export function edgeState(sources: EdgeSources): EdgeState {
  const { rateClasses } = sources;
  return {
    rateLimits:
      rateClasses === 'off'
        ? { enabled: false, classes: [] }
        : {
            enabled: true,
            classes: Object.entries(rateClasses).map(([name, c]) => ({
              name,
              quota: c.quota,
              windowSeconds: c.windowSeconds,
              scope: c.scope,
            })),
          },
    loadShedding: sources.loadShedding(),
    breakers: breakerStates(sources.breakers),
  };
}
