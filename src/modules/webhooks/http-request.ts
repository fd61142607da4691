import http from 'node:http';
import https from 'node:https';
import { ForbiddenAddress, guardedLookup, literalHostForbidden } from './address-guard.js';
import { signatureHeader } from './signing.js';

export interface AttemptResult {
  ok: boolean;
  /** The receiver's status, or null when there was no response. */
  status: number | null;
  error: string | null;
  /** From the receiver's Retry-After, when it sent one. */
  retryAfterMs: number | null;
  durationMs: number;
  /** The headers sent, for the attempts log; null when no request went out. */
  requestHeaders: Record<string, string> | null;
  /** The start of the receiver's answer (RESPONSE_EXCERPT_BYTES at most), or null without one. */
  responseBody: string | null;
}

/** How much of a receiver's answer is kept: enough to read its error, bounded however much it sends. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** What a webhook's headers are made of: its id, when this attempt is made, and the secrets to sign with. */
export interface Signing {
  messageId: string;
  timestamp: number;
  secrets: string[];
  /** The attempt's span, so a receiver's own tracing joins the order's trace. */
  traceparent?: string;
}

export interface Sender {
  /** POSTs `body` signed as Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature. */
  post(url: string, signing: Signing, body: string): Promise<AttemptResult>;
  close(): void;
}

/** The sender that makes the requests itself, and can tell which can go out on a connection already open. */
export interface DirectSender extends Sender {
  /** `post` for a URL already parsed. */
  send(target: URL, signing: Signing, body: string): Promise<AttemptResult>;
  /** The connection pool a URL's requests share (one per origin). */
  poolOf(target: URL): string;
  /** Open connections in that pool with nothing in flight. */
  idleConnections(pool: string): number;
}

function retryAfterMs(header: string | undefined): number | null {
  if (header === undefined) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * POSTs one webhook: keep-alive sockets, a hard timeout for the whole exchange, redirects never followed
 * (a 3xx is a failed attempt), and, unless private targets are allowed, the address checked at connection time.
 */
export function createDirectSender(options: { timeoutMs: number; allowPrivate: boolean }): DirectSender {
  // Free sockets are kept however many there are: the default keeps 256 per host and closes the rest, so
  // bursts of fan-out to endpoints sharing a host reconnected every time (a connect and a close per delivery).
  const pool = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity };
  const agents = { 'http:': new http.Agent(pool), 'https:': new https.Agent(pool) };
  const lookup = options.allowPrivate ? undefined : guardedLookup;

  function send(target: URL, signing: Signing, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const headers: Record<string, string> = {
      'webhook-id': signing.messageId,
      'webhook-timestamp': String(signing.timestamp),
      'webhook-signature': signatureHeader(signing.secrets, signing.messageId, signing.timestamp, body),
      ...(signing.traceparent === undefined ? {} : { traceparent: signing.traceparent }),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Orderly-Webhooks/1',
    };
    let excerpt: Buffer[] | null = null;
    let kept = 0;
    const done = (partial: Omit<AttemptResult, 'durationMs' | 'requestHeaders' | 'responseBody'>, sent = true): AttemptResult => ({
      ...partial,
      durationMs: Math.round(performance.now() - started),
      requestHeaders: sent ? headers : null,
      // Cut at a byte count, so a character split there is dropped rather than mangled. A NUL goes too:
      // PostgreSQL's text refuses it, and one receiver's reply would fail its whole batch of outcomes.
      responseBody:
        excerpt === null
          ? null
          : Buffer.concat(excerpt)
              .toString('utf8')
              .replace(/\uFFFD$/, '')
              .replaceAll('\u0000', ''),
    });
    if (!options.allowPrivate && literalHostForbidden(target)) {
      return Promise.resolve(
        done({ ok: false, status: null, error: new ForbiddenAddress(target.hostname, target.hostname).message, retryAfterMs: null }, false),
      );
    }
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<AttemptResult>((outcome) => {
      let timedOut = false;
      // A plain timer for the whole exchange: an AbortSignal per request cost more than the rest of the send.
      const deadline = setTimeout(() => {
        timedOut = true;
        request.destroy();
      }, options.timeoutMs);
      const resolve = (result: AttemptResult) => {
        clearTimeout(deadline);
        outcome(result);
      };
      const request = client.request(
        target,
        {
          method: 'POST',
          agent: agents[target.protocol as 'http:' | 'https:'],
          headers,
          ...(lookup ? { lookup } : {}),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          // Read to its end so the socket can be reused; only its first KiB is kept, for the attempts log.
          excerpt = [];
          response.on('data', (chunk: Buffer) => {
            if (kept >= RESPONSE_EXCERPT_BYTES || excerpt === null) return;
            const part = chunk.subarray(0, RESPONSE_EXCERPT_BYTES - kept);
            excerpt.push(part);
            kept += part.length;
          });
          response.on('end', () =>
            resolve(
              done({
                ok: status >= 200 && status < 300,
                status,
                error: status >= 200 && status < 300 ? null : `receiver answered ${status}`,
                retryAfterMs: retryAfterMs(response.headers['retry-after']),
              }),
            ),
          );
          const cut = (error: string) =>
            resolve(
              done({ ok: false, status, error: timedOut ? `no response within ${options.timeoutMs} ms` : error, retryAfterMs: null }),
            );
          response.on('error', (error) => cut(error.message));
          response.on('close', () => response.complete || cut('the response was cut off'));
        },
      );
      request.on('error', (error: Error) => {
        resolve(
          done({
            ok: false,
            status: null,
            error: timedOut ? `no response within ${options.timeoutMs} ms` : error.message,
            retryAfterMs: null,
          }),
        );
      });
      request.end(body);
    });
  }

  return {
    send,
    post: (url, signing, body) => send(new URL(url), signing, body),
    // The agent's own name for the pool a request joins (the protocol first), which is what it keys its free sockets by.
    poolOf(target) {
      const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
      return target.protocol === 'https:'
        ? `https:${agents['https:'].getName({ host: target.hostname, port, servername: target.hostname } as https.RequestOptions)}`
        : `http:${agents['http:'].getName({ host: target.hostname, port })}`;
    },
    idleConnections(pool) {
      const [protocol, name] = pool.startsWith('https:') ? (['https:', pool.slice(6)] as const) : (['http:', pool.slice(5)] as const);
      return agents[protocol].freeSockets[name]?.length ?? 0;
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
