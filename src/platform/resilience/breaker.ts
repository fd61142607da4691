import { CircuitState, type IBreaker } from 'cockatiel';

export interface BreakerThresholds {
  /** Opens when at least this share of the calls in the window failed… */
  failureRatio: number;
  windowMs: number;
  /** …and the window held at least this many calls. */
  minimumCalls: number;
  /** Opens after this many failures in a row, whatever the window says. */
  consecutiveFailures: number;
  /** Successes needed after half-open before a single failure stops reopening the breaker. */
  closeAfterSuccesses: number;
}

/**
 * The breaker rule of docs/architecture.md §5 as one cockatiel breaker: a failure ratio over a time window with a
 * minimum of calls, or a run of consecutive failures. cockatiel closes on the first successful half-open
 * probe; until `closeAfterSuccesses` calls have succeeded the breaker stays on probation and reopens on
 * any failure, which is what "closes after 2 successes" asks of it.
 */
export class WindowedBreaker implements IBreaker {
  private consecutive = 0;
  private probation = 0;
  /** Per-second buckets of [successes, failures]; old ones fall out of the window. */
  private buckets = new Map<number, [number, number]>();

  constructor(
    private readonly thresholds: BreakerThresholds,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): unknown {
    return { consecutive: this.consecutive, probation: this.probation };
  }

  set state(value: unknown) {
    const v = value as { consecutive?: number; probation?: number };
    this.consecutive = v.consecutive ?? 0;
    this.probation = v.probation ?? 0;
  }

  /** Calls still needed before a failure stops reopening the breaker at once. */
  get onProbation(): boolean {
    return this.probation > 0;
  }

  success(state: CircuitState): void {
    this.consecutive = 0;
    if (state === CircuitState.HalfOpen) {
      // A fresh start: the failures that opened the breaker must not trip it again.
      this.buckets.clear();
      this.probation = this.thresholds.closeAfterSuccesses - 1;
    } else if (this.probation > 0) {
      this.probation -= 1;
    }
    this.record(0);
  }

  failure(state: CircuitState): boolean {
    this.consecutive += 1;
    this.record(1);
    if (state === CircuitState.HalfOpen || this.probation > 0) {
      this.probation = 0;
      return true;
    }
    if (this.consecutive >= this.thresholds.consecutiveFailures) return true;
    const [successes, failures] = this.totals();
    return successes + failures >= this.thresholds.minimumCalls && failures / (successes + failures) >= this.thresholds.failureRatio;
  }

  private record(index: 0 | 1): void {
    const second = Math.floor(this.now() / 1000);
    const bucket = this.buckets.get(second) ?? [0, 0];
    bucket[index] += 1;
    this.buckets.set(second, bucket);
  }

  private totals(): [number, number] {
    const oldest = Math.floor((this.now() - this.thresholds.windowMs) / 1000);
    let successes = 0;
    let failures = 0;
    for (const [second, [s, f]] of this.buckets) {
      if (second <= oldest) {
        this.buckets.delete(second);
        continue;
      }
      successes += s;
      failures += f;
    }
    return [successes, failures];
  }
}
