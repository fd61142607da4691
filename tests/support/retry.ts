import type { HttpClient, RequestOptions, TestResponse } from './http.js';

export interface Answered {
  response: TestResponse;
  /** From the first attempt that got no answer (or a 409/503) to the answer; 0 when the first attempt was answered. */
  retriedMs: number;
  /** Attempts that reached no server (it was down). */
  unreachable: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * POSTs as a careful client does across crashes: an attempt that gets no answer, a 409 for a key still in
 * flight or a 503 is repeated with the same Idempotency-Key (after Retry-After when given) until answered.
 * Gives up only when nothing answers for `giveUpMs`.
 */
export async function postUntilAnswered(
  http: HttpClient,
  path: string,
  body: unknown,
  options: RequestOptions & { key: string; giveUpMs?: number },
): Promise<Answered> {
  const { key, giveUpMs = 60_000, ...request } = options;
  const started = Date.now();
  let retryingSince: number | null = null;
  let unreachable = 0;
  for (;;) {
    let response: TestResponse | null = null;
    try {
      response = await http.post(path, body, { ...request, headers: { ...request.headers, 'idempotency-key': key } });
    } catch {
      unreachable += 1;
    }
    const retryable =
      response === null || response.status === 503 || (response.status === 409 && response.body?.code === 'idempotency_key_in_use');
    if (!retryable) return { response: response!, retriedMs: retryingSince === null ? 0 : Date.now() - retryingSince, unreachable };
    retryingSince ??= Date.now();
    if (Date.now() - started > giveUpMs)
      throw new Error(`POST ${path} with key ${key} unanswered for ${giveUpMs} ms (last: ${response?.status ?? 'no answer'})`);
    const retryAfter = Number(response?.headers.get('retry-after'));
    await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 50);
  }
}

/** Waits until `done()` holds, failing only when `progress()` has not moved for `stallMs`: a slow machine is not a failure. */
export async function untilDone(what: string, done: () => boolean, progress: () => number, stallMs = 30_000): Promise<void> {
  let last = progress();
  let movedAt = Date.now();
  while (!done()) {
    await sleep(25);
    const now = progress();
    if (now !== last) {
      last = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: no progress for ${stallMs} ms (at ${now})`);
    }
  }
}

/**
 * Polls `remaining` until it is empty, failing only when it has not shrunk for `stallMs`: the work is
 * expected to finish, not to finish by a time that assumes the machine's speed.
 */
export async function untilNoneLeft<T>(what: string, remaining: () => Promise<T[]>, stallMs = 60_000): Promise<void> {
  let left = await remaining();
  let fewest = left.length;
  let shrankAt = Date.now();
  while (left.length > 0) {
    if (Date.now() - shrankAt > stallMs)
      throw new Error(`${what}: ${left.length} left, none finished for ${stallMs} ms: ${JSON.stringify(left.slice(0, 5))}`);
    await sleep(250);
    left = await remaining();
    if (left.length < fewest) {
      fewest = left.length;
      shrankAt = Date.now();
    }
  }
}
