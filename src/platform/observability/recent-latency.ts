/** One route's latency over a recent window, as this process saw it. */
export interface LatencyWindow {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Request durations of the last few minutes per route, for operators' summary. Recording is O(1) and
 * allocates nothing: per route, a ring of the latest `samples` durations (for percentiles) and one counter
 * per second of the window (for the count, exact however many requests came). Memory is bounded by the
 * routes the app registered (unmatched paths share one key).
 */
export interface RecentLatency {
  record(method: string, route: string, ms: number): void;
  /** `route` as the router names it (`/v1/orders/:id`); percentiles over the samples still in the window. */
  window(method: string, route: string): LatencyWindow;
}

interface Ring {
  durations: Float64Array;
  times: Float64Array;
  next: number;
  /** Requests per second of the window, and which second each slot holds. */
  perSecond: Uint32Array;
  seconds: Float64Array;
}

export function createRecentLatency(options: { windowMs?: number; samples?: number; now?: () => number } = {}): RecentLatency {
  const windowMs = options.windowMs ?? 300_000;
  const samples = options.samples ?? 2_048;
  const now = options.now ?? Date.now;
  const slots = Math.ceil(windowMs / 1000);
  const rings = new Map<string, Map<string, Ring>>();

  function ringOf(method: string, route: string, create: boolean): Ring | undefined {
    let byMethod = rings.get(route);
    if (byMethod === undefined) {
      if (!create) return undefined;
      rings.set(route, (byMethod = new Map()));
    }
    let ring = byMethod.get(method);
    if (ring === undefined && create) {
      ring = {
        durations: new Float64Array(samples),
        times: new Float64Array(samples).fill(Number.NEGATIVE_INFINITY),
        next: 0,
        perSecond: new Uint32Array(slots),
        seconds: new Float64Array(slots).fill(-1),
      };
      byMethod.set(method, ring);
    }
    return ring;
  }

  return {
    record(method, route, ms) {
      const ring = ringOf(method, route, true)!;
      const at = now();
      ring.durations[ring.next] = ms;
      ring.times[ring.next] = at;
      ring.next = (ring.next + 1) % samples;
      const second = Math.floor(at / 1000);
      const slot = second % slots;
      if (ring.seconds[slot] !== second) {
        ring.seconds[slot] = second;
        ring.perSecond[slot] = 0;
      }
      ring.perSecond[slot]! += 1;
    },
    window(method, route) {
      const ring = ringOf(method, route, false);
      if (ring === undefined) return { count: 0, p50Ms: null, p99Ms: null };
      const at = now();
      const firstSecond = Math.floor((at - windowMs) / 1000) + 1;
      let count = 0;
      for (let i = 0; i < slots; i += 1) if (ring.seconds[i]! >= firstSecond) count += ring.perSecond[i]!;
      const recent: number[] = [];
      for (let i = 0; i < samples; i += 1) if (ring.times[i]! > at - windowMs) recent.push(ring.durations[i]!);
      if (recent.length === 0) return { count, p50Ms: null, p99Ms: null };
      recent.sort((a, b) => a - b);
      // Nearest rank: the smallest duration at least that share of the samples is not above.
      const rank = (p: number) => Math.round(recent[Math.max(0, Math.ceil(p * recent.length) - 1)]! * 100) / 100;
      return { count, p50Ms: rank(0.5), p99Ms: rank(0.99) };
    },
  };
}
