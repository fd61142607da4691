/** Reads a running Orderly's Prometheus text, for figures the benchmark cannot see from outside. */
export async function scrape(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

/** Sum of every sample of `name` whose labels contain all of `labels`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** A quantile from the difference of two scrapes of a histogram (what was observed in between). */
export function histogramQuantile(before: string, after: string, name: string, labels: Record<string, string>, q: number): number {
  const buckets = new Map<number, number>();
  for (const line of after.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (!le || !Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, sample(after, `${name}_bucket`, { ...labels, le }) - sample(before, `${name}_bucket`, { ...labels, le }));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted[sorted.length - 1]?.[1] ?? 0;
  if (total === 0) return NaN;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= q * total) {
      if (bound === Infinity) return previousBound;
      // Linear within the bucket, as Prometheus' histogram_quantile does.
      return previousBound + ((q * total - previousCount) / Math.max(1, count - previousCount)) * (bound - previousBound);
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

/** Waits until `count` orders have completed (confirmed or cancelled) since the server started; resolves to the seconds it waited. */
export async function ordersCompleted(base: string, count: number, timeoutMs = 300_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (sample(await scrape(base), 'orderly_orders_completed_total') >= count) return (Date.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`orders did not all complete within ${timeoutMs / 60_000} minutes`);
}
