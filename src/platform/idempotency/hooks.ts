import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onResponseHookHandler, onSendHookHandler, preHandlerHookHandler } from 'fastify';
import type { Database } from '../db/database.js';
import { defineErrors, platformErrors } from '../http/errors.js';
import { idempotencyStore, type StoredResponse } from './store.js';

export const idempotencyErrors = defineErrors({
  idempotency_key_required: { status: 400, title: 'This request needs an Idempotency-Key header' },
  idempotency_key_in_use: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key was used for a different request' },
});

export type IdempotencyMode = 'required' | 'optional';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes default to 'optional': a key is honoured when sent. */
    idempotency?: IdempotencyMode | 'off';
  }
  interface FastifyRequest {
    idempotency: { scope: string; key: string } | null;
  }
}

/** Statuses that mean the request never ran: nothing to replay, so the key is freed for a retry. */
const NOT_REPLAYED = new Set([401, 403, 429, 503]);
const REPLAYED_HEADERS = ['content-type', 'location', 'etag', 'cache-control'];

export interface IdempotencyOptions {
  retentionMs: number;
  /** How long a claim holds without an answer before another request may take it over (the first one crashed). */
  lockMs: number;
}

/**
 * Idempotency-Key semantics of API.md, for POST routes: the first response is stored and replayed byte
 * for byte (with Idempotent-Replayed: true) to the same caller sending the same request again within
 * the retention; a repeat while the first still runs gets 409, a different request under the key 422.
 */
export function createIdempotencyHooks(database: Database, options: IdempotencyOptions) {
  const keys = idempotencyStore(database.db);

  function fingerprint(request: FastifyRequest): string {
    return createHash('sha256').update(`${request.method}\n${request.url}\n${JSON.stringify(request.body ?? null)}`).digest('hex');
  }

  function modeOf(request: FastifyRequest): IdempotencyMode | 'off' {
    return request.routeOptions.config.idempotency ?? (request.method === 'POST' ? 'optional' : 'off');
  }

  async function claim(request: FastifyRequest, reply: FastifyReply, mode: IdempotencyMode): Promise<void> {
    const key = request.headers['idempotency-key'];
    if (key === undefined) {
      if (mode === 'required') throw idempotencyErrors.error('idempotency_key_required', 'Send a unique Idempotency-Key (1–255 characters) with this request');
      return;
    }
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw platformErrors.error('validation_failed', 'Idempotency-Key must be 1–255 characters', { errors: [{ field: 'headers.idempotency-key', message: 'must be 1–255 characters' }] });
    }
    const scope = request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`;
    const print = fingerprint(request);
    const now = new Date();
    const lockedUntil = new Date(now.getTime() + options.lockMs).toISOString();
    const record = {
      scope, key, method: request.method, path: request.url, fingerprint: print, state: 'in_flight' as const,
      status_code: null, headers: null, body: null, created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + options.retentionMs).toISOString(), locked_until: lockedUntil,
    };

    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await keys.claim(record)) {
        request.idempotency = { scope, key };
        return;
      }
      const existing = await keys.get(scope, key);
      if (!existing) continue;
      if (existing.expires_at < now.toISOString()) {
        await keys.release(scope, key);
        continue;
      }
      if (existing.fingerprint !== print) {
        throw idempotencyErrors.error('idempotency_key_reused', `Idempotency-Key ${key} was first used for ${existing.method} ${existing.path} with another body`);
      }
      if (existing.state === 'completed') {
        const headers = JSON.parse(existing.headers ?? '{}') as Record<string, string>;
        reply.status(existing.status_code ?? 200).headers(headers).header('idempotent-replayed', 'true').send(existing.body ?? '');
        return;
      }
      if (existing.locked_until < now.toISOString() && (await keys.takeOver(scope, key, existing.locked_until, lockedUntil))) {
        request.idempotency = { scope, key };
        return;
      }
      throw idempotencyErrors.error('idempotency_key_in_use', 'Wait for the first request with this key to finish, then repeat it to get its response');
    }
    throw idempotencyErrors.error('idempotency_key_in_use');
  }

  /** Only POSTs pay for idempotency: every other request passes through without a promise. */
  const preHandler: preHandlerHookHandler = (request, reply, done) => {
    const mode = modeOf(request);
    if (mode === 'off') return done();
    // A replay has already answered: the handler must not run, so the chain is not continued.
    claim(request, reply, mode).then(() => (reply.sent ? undefined : done()), done);
  };

  /** Stores the response before it leaves, so a retry that races the answer already sees it. */
  const onSend: onSendHookHandler = (request, reply, payload, done) => {
    if (request.idempotency === null) return done(null, payload);
    store(request, reply, payload).then(() => done(null, payload), (error: Error) => done(error));
  };

  async function store(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const claim = request.idempotency!;
    request.idempotency = null;
    const status = reply.statusCode;
    if (status >= 500 || NOT_REPLAYED.has(status) || (typeof payload !== 'string' && payload !== null && payload !== undefined)) {
      await keys.release(claim.scope, claim.key);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    const stored: StoredResponse = { statusCode: status, headers, body: typeof payload === 'string' ? payload : '' };
    await keys.complete(claim.scope, claim.key, stored);
  }

  /** A request that errored out before onSend (an aborted connection) frees its key. */
  const onResponse: onResponseHookHandler = (request, _reply, done) => {
    const claim = request.idempotency;
    if (claim === null) return done();
    keys.release(claim.scope, claim.key).then(() => done(), done);
  };

  return {
    preHandler,
    onSend,
    onResponse,
    sweep: () => keys.deleteExpired(new Date().toISOString()),
  };
}

export type IdempotencyHooks = ReturnType<typeof createIdempotencyHooks>;
