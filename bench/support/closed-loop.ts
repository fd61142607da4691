// A fixed amount of work at a fixed concurrency: `connections` clients each send their next request as soon
// as the last is answered, until `count` have been. A count rather than a duration, so the CPU each process
// spent can be divided by the requests that cost it.
import http from 'node:http';
import type { PacedRequest } from './paced.js';
import { quantile } from './paced.js';

export interface ClosedResult {
  count: number;
  seconds: number;
  rps: number;
  /** Milliseconds from sent to answered. */
  p50: number;
  p99: number;
}

/** Sends `count` requests to `base`; throws on the first answer whose status is not `expect`. */
export async function closedLoop(
  base: string,
  options: { count: number; connections: number; expect: number; request: () => PacedRequest },
): Promise<ClosedResult> {
  const target = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let left = options.count;

  const send = ({ method, path, headers = {}, body }: PacedRequest): Promise<void> =>
    new Promise((resolve, reject) => {
      const sent = performance.now();
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
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            latencies.push(performance.now() - sent);
            if (response.statusCode === options.expect) return resolve();
            reject(new Error(`${method} ${path} answered ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`));
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (left > 0) {
          left -= 1;
          // One failure ends the run: the other clients stop after their request in flight.
          await send(options.request()).catch((error: unknown) => {
            left = 0;
            throw error;
          });
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    count: options.count,
    seconds,
    rps: options.count / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}
