// An open-loop load at a constant rate: request i is due at start + i / rate and is sent then, whether or
// not earlier ones were answered, and its latency counts from when it was due. autocannon's `overallRate`
// instead sends each second's budget back to back and then waits for the next second, so "500/s" is a
// burst of 500 requests once a second, and its latencies are mostly the burst queueing.
import http from 'node:http';

export interface PacedRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface PacedResult {
  sent: number;
  /** Answers by status class: 2xx, 4xx, 5xx, and transport errors. */
  ok: number;
  non2xx: number;
  errors: number;
  /** Milliseconds from due to answered, sorted. */
  latencies: number[];
  /** Requests per second actually answered. */
  rps: number;
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Sends `rate` requests per second for `seconds` to `base`; at most `maxOpen` at once (the rest queue, and that counts). */
export async function paced(
  base: string,
  options: { rate: number; seconds: number; maxOpen?: number; request: (i: number) => PacedRequest },
): Promise<PacedResult> {
  const target = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxOpen ?? 256 });
  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  const result = { sent: 0, ok: 0, non2xx: 0, errors: 0 };
  const started = performance.now();
  const answered: Promise<void>[] = [];

  function send(i: number, due: number): Promise<void> {
    const { method, path, headers = {}, body } = options.request(i);
    return new Promise((resolve) => {
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          method,
          path,
          agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume().on('end', () => {
            latencies.push(performance.now() - due);
            if (response.statusCode! >= 200 && response.statusCode! < 300) result.ok += 1;
            else result.non2xx += 1;
            resolve();
          });
        },
      );
      request.on('error', () => {
        result.errors += 1;
        resolve();
      });
      request.end(body);
    });
  }

  while (result.sent < total) {
    const now = performance.now();
    // Everything due by now goes out; a late tick catches up rather than dropping requests.
    while (result.sent < total && started + (result.sent * 1000) / options.rate <= now) {
      answered.push(send(result.sent, started + (result.sent * 1000) / options.rate));
      result.sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(answered);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { ...result, latencies, rps: (result.ok + result.non2xx) / elapsed };
}
