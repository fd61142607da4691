import { createStore } from '../../shared/store.js';
import type { Session } from './types.js';

/** A problem+json answer (or a lost connection, status 0) in words a shopper can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: { field: string; message: string }[] = [],
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  /** The message for one form field, matched on the last part of the problem's field path. */
  forField(name: string): string | undefined {
    return this.fieldErrors.find((e) => e.field.split('.').pop() === name)?.message;
  }
}

export type ConnectionState = 'online' | 'retrying' | 'offline';
export const connection = createStore<ConnectionState>('online');
export const session = createStore<Session | null>(loadSession());

function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem('orderly.session');
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(value: Session | null): void {
  if (value) localStorage.setItem('orderly.session', JSON.stringify(value));
  else localStorage.removeItem('orderly.session');
  session.set(value);
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

const RETRY_DELAYS_MS = [500, 1500, 3000];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every call to the Orderly API. A lost connection is retried a few times while the page says so; POSTs
 * carry an Idempotency-Key, so a retried write is applied once. 429 and 503 come back with their Retry-After.
 */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const token = session.get()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST' && !headers['idempotency-key']) headers['idempotency-key'] = crypto.randomUUID();
  const init: RequestInit = { method, headers, ...(options.signal ? { signal: options.signal } : {}) };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);

  let response: Response | null = null;
  for (let attempt = 0; response === null; attempt++) {
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) {
        connection.set('offline');
        throw new ApiError(0, 'connection_lost', 'The connection to the shop was lost. Check your network and try again.');
      }
      connection.set('retrying');
      await sleep(delay);
    }
  }
  if (connection.get() !== 'online') connection.set('online');
  if (response.status === 401 && token) saveSession(null);
  const text = response.status === 204 || response.status === 304 ? '' : await response.text();
  const body: unknown = text ? JSON.parse(text) : null;
  if (!response.ok && response.status !== 304) throw problemOf(response, body);
  return { status: response.status, data: body as T, headers: response.headers };
}

function problemOf(response: Response, body: unknown): ApiError {
  const problem = (body ?? {}) as { code?: string; title?: string; detail?: string; errors?: { field: string; message: string }[] };
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  const seconds = Number.isFinite(retryAfter) ? retryAfter : null;
  const code = problem.code ?? 'error';
  let message = problem.detail ?? problem.title ?? `The shop answered ${response.status}.`;
  if (response.status === 429) message = `Too many requests. Try again in ${seconds ?? 'a few'} s.`;
  if (response.status === 503) message = `The shop is busy. Try again in ${seconds ?? 'a few'} s.`;
  return new ApiError(response.status, code, message, problem.errors ?? [], seconds);
}
