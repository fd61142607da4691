import { createStore } from '../../shared/store.js';
import type { User } from './types.js';

/** A problem+json answer (or a lost connection, status 0) in words an operator can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  token: string;
  user: User;
}

// Per tab, and gone when the tab closes: an operator's token should not outlive the console window.
const KEY = 'orderly.console.session';
export const session = createStore<Session | null>(loadSession());
/** Why the operator is on the sign-in page (session ended, not an admin), shown there. */
export const signInReason = createStore<string | null>(null);

function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(value: Session | null, reason: string | null = null): void {
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
  else sessionStorage.removeItem(KEY);
  signInReason.set(reason);
  session.set(value);
}

/** The storefront's session in this browser, if any: a shop admin opening /admin needs no second sign-in. */
export function shopToken(): string | null {
  try {
    const raw = localStorage.getItem('orderly.session');
    return raw ? ((JSON.parse(raw) as { token?: string }).token ?? null) : null;
  } catch {
    return null;
  }
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** A token other than the session's (checking a token before keeping it). */
  token?: string;
}

/**
 * Every call the console makes. POSTs carry an Idempotency-Key, so a retried click is applied once; a 401
 * ends the session and sends the operator to sign in.
 */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = options.token ?? session.get()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  const init: RequestInit = { method, headers, ...(options.signal ? { signal: options.signal } : {}) };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);

  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, 'connection_lost', 'Orderly did not answer: the connection was lost. Try again.');
  }
  if (response.status === 401 && options.token === undefined && session.get())
    saveSession(null, 'Your session ended. Sign in again to go on.');
  const text = response.status === 204 ? '' : await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw problemOf(response, body);
  return body as T;
}

function problemOf(response: Response, body: unknown): ApiError {
  const problem = (body ?? {}) as { code?: string; title?: string; detail?: string };
  const code = problem.code ?? 'error';
  let message = problem.detail ?? problem.title ?? `Orderly answered ${response.status}.`;
  if (response.status === 429 || response.status === 503)
    message = `Orderly is busy (${response.status}). Try again in ${response.headers.get('retry-after') ?? 'a few'} s.`;
  return new ApiError(response.status, code, message);
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
