import { createHash, randomUUID } from 'node:crypto';
import type {
  FastifyReply,
  FastifyRequest,
  onResponseHookHandler,
  onSendHookHandler,
  preHandlerHookHandler,
  preValidationHookHandler,
  RouteOptions,
} from 'fastify';
import type { Database } from '../db/database.js';
import { defineErrors, platformErrors } from '../http/errors.js';
import type { RouteExtension } from '../http/server.js';
import type { Logger } from '../observability/logger.js';
import { applyAnswer, render, withClaim, type EffectAnswer, type KeyClaim } from './effects.js';
import { createIdempotencyStore, type StoredResponse } from './store.js';
import type { SecretBox } from '../secrets/secret-box.js';

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
    /**
     * What a POST route's effect answers with. Every POST route that honours a key declares one, and its
     * service calls `answerWithin` in the effect's transaction (see effects.ts).
     */
    effect?: EffectAnswer<never>;
  }
  interface FastifyRequest {
    idempotency: KeyClaim | null;
    /** The body as it was sent, before validation dropped unknown keys and filled defaults: what a key's request is. */
    bodyAsSent: string | null;
  }
}

const REPLAYED = Symbol('replayed');

/** Statuses that mean the request never ran: nothing to replay, so the key is freed for a retry. */
const NOT_REPLAYED = new Set([401, 403, 429, 503]);
const REPLAYED_HEADERS = ['content-type', 'location', 'etag', 'cache-control'];

export interface IdempotencyOptions {
  retentionMs: number;
  /** How long a claim holds without being renewed; its process renews it while the request runs. */
  leaseMs: number;
  /** Test-only fault point: the process kills itself after this effect commits, before its answer is sent. */
  exitAfterCommit: string | null;
  logger: Logger;
  /** Stored answers are encrypted under it (they may carry tokens and secrets); null: stored as text. */
  secrets: SecretBox | null;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Idempotency-Key semantics of API.md, for POST routes: the first response is stored and replayed byte
 * for byte (with Idempotent-Replayed: true) to the same caller sending the same request again within
 * the retention; a repeat while the first still runs gets 409 with Retry-After, a different request under
 * the key 422. A route's success is recorded in the transaction of its effect (`answerWithin`), so an
 * effect never commits without its answer; anything else (a client error) is stored as it is sent.
 */
export function createIdempotencyHooks(database: Database, options: IdempotencyOptions) {
  const keys = createIdempotencyStore(database.db, options.secrets);
  // Claims are fenced by the process that holds them; a restarted process is another owner.
  const owner = randomUUID();
  const held = new Set<KeyClaim>();
  const effects = new Set<string>();
  let renewal: NodeJS.Timeout | null = null;

  // While this process holds claims, their leases are renewed; a process that dies stops renewing.
  function hold(claim: KeyClaim): void {
    held.add(claim);
    renewal ??= setInterval(
      () => {
        if (held.size === 0) {
          clearInterval(renewal!);
          renewal = null;
          return;
        }
        keys
          .renew(owner, new Date(Date.now() + options.leaseMs).toISOString())
          .catch((error: unknown) => options.logger.warn({ err: error }, 'could not renew idempotency claims'));
      },
      Math.max(50, Math.floor(options.leaseMs / 3)),
    );
    renewal.unref();
  }

  function letGo(request: FastifyRequest): KeyClaim | null {
    const claim = request.idempotency;
    if (claim) held.delete(claim);
    request.idempotency = null;
    return claim;
  }

  // Keyed when there is a key: a body may hold a password, and a plain hash of it could be guessed offline.
  const requestText = (request: FastifyRequest) =>
    `${request.method}\n${request.url}\n${request.bodyAsSent ?? JSON.stringify(request.body ?? null)}`;
  // Taken before validation, which drops keys no schema lists: a retry that differs only in such a key is
  // still another request (422 idempotency_key_reused), as the contract says, not a replay.
  const keepBodyAsSent: preValidationHookHandler = (request, _reply, done) => {
    if (request.headers['idempotency-key'] !== undefined) {
      try {
        request.bodyAsSent = JSON.stringify(request.body ?? null);
      } catch {
        // Nested too deep to write back: a hostile body, refused here, since a route with no body schema
        // would not refuse it before the claim fingerprints it.
        done(platformErrors.error('validation_failed', 'body is nested too deep'));
        return;
      }
    }
    done();
  };
  function fingerprint(request: FastifyRequest): string {
    const text = requestText(request);
    return options.secrets ? options.secrets.digest(text) : createHash('sha256').update(text).digest('hex');
  }
  function sameRequest(request: FastifyRequest, stored: string, print: string): boolean {
    return options.secrets ? options.secrets.digestMatches(requestText(request), stored) : stored === print;
  }

  function modeOf(request: FastifyRequest): IdempotencyMode | 'off' {
    return request.routeOptions.config.idempotency ?? (request.method === 'POST' ? 'optional' : 'off');
  }

  function inUse(lockedUntil: string, now: Date) {
    const seconds = Math.min(Math.ceil(options.leaseMs / 1000), Math.max(1, Math.ceil((Date.parse(lockedUntil) - now.getTime()) / 1000)));
    return idempotencyErrors.error(
      'idempotency_key_in_use',
      'Wait for the first request with this key to finish, then repeat it to get its response',
      {
        headers: { 'retry-after': String(seconds) },
      },
    );
  }

  /**
   * Resolves to the claim the request now holds, null when it has no key, or REPLAYED when it was answered
   * with the key's stored response (said outright: `reply.sent` stays false until the answer has left, which
   * an asynchronous onSend hook delays, and a request taken for unanswered would run its handler again).
   */
  async function claim(request: FastifyRequest, reply: FastifyReply, mode: IdempotencyMode): Promise<KeyClaim | null | typeof REPLAYED> {
    const key = request.headers['idempotency-key'];
    if (key === undefined) {
      if (mode === 'required')
        throw idempotencyErrors.error('idempotency_key_required', 'Send a unique Idempotency-Key (1–255 characters) with this request');
      return null;
    }
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw platformErrors.error('validation_failed', 'Idempotency-Key must be 1–255 characters', {
        errors: [{ field: 'headers.idempotency-key', message: 'must be 1–255 characters' }],
      });
    }
    const scope = request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`;
    const print = fingerprint(request);
    const now = new Date();
    const lockedUntil = new Date(now.getTime() + options.leaseMs).toISOString();
    const mine: KeyClaim = {
      scope,
      key,
      owner,
      answer: (request.routeOptions.config.effect as EffectAnswer<unknown> | undefined) ?? null,
      reply,
      sealed: null,
      secrets: options.secrets,
    };
    const record = {
      scope,
      key,
      method: request.method,
      path: request.url,
      fingerprint: print,
      state: 'in_flight' as const,
      status_code: null,
      headers: null,
      body: null,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + options.retentionMs).toISOString(),
      locked_until: lockedUntil,
      owner,
    };

    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await keys.claim(record)) return mine;
      const existing = await keys.get(scope, key);
      if (!existing) continue;
      if (existing.expires_at < now.toISOString()) {
        await keys.forget(scope, key);
        continue;
      }
      if (!sameRequest(request, existing.fingerprint, print)) {
        throw idempotencyErrors.error(
          'idempotency_key_reused',
          `Idempotency-Key ${key} was first used for ${existing.method} ${existing.path} with another body`,
        );
      }
      if (existing.state === 'completed') {
        const headers = JSON.parse(existing.headers ?? '{}') as Record<string, string>;
        reply
          .status(existing.status_code ?? 200)
          .headers(headers)
          .header('idempotent-replayed', 'true')
          .send(existing.body ?? '');
        return REPLAYED;
      }
      if (existing.locked_until < now.toISOString() && (await keys.takeOver(scope, key, existing.locked_until, owner, lockedUntil))) {
        options.logger.warn(
          { scope, key, previousOwner: existing.owner },
          'idempotency key taken over from a request whose process stopped renewing it',
        );
        return mine;
      }
      throw inUse(existing.locked_until, now);
    }
    throw inUse(lockedUntil, now);
  }

  /** Only POSTs pay for idempotency: every other request passes through without a promise. */
  const preHandler: preHandlerHookHandler = (request, reply, done) => {
    const mode = modeOf(request);
    if (mode === 'off') return done();
    claim(request, reply, mode).then((held_) => {
      // A replay has already answered: the handler must not run, so the chain is not continued.
      if (held_ === REPLAYED) return;
      if (held_ === null) return done();
      request.idempotency = held_;
      hold(held_);
      withClaim(held_, () => done());
    }, done);
  };

  /**
   * A success sealed in the effect's transaction is sent as sealed. Anything else that can be replayed (a
   * client error) is stored before it leaves, so a retry that races the answer already sees it.
   */
  const onSend: onSendHookHandler = (request, reply, payload, done) => {
    const claim = letGo(request);
    if (claim === null) return done(null, payload);
    if (reply.statusCode < 400 && options.exitAfterCommit !== null && options.exitAfterCommit === claim.answer?.name) {
      options.logger.warn({ effect: claim.answer.name }, 'fault injected: exiting after the effect committed, before its answer is sent');
      process.kill(process.pid, 'SIGKILL');
    }
    if (claim.sealed !== null && reply.statusCode < 400) {
      applyAnswer(reply, claim.sealed);
      return done(null, claim.sealed.body);
    }
    settle(claim, reply, payload).then(
      () => done(null, payload),
      (error: Error) => done(error),
    );
  };

  async function settle(claim: KeyClaim, reply: FastifyReply, payload: unknown): Promise<void> {
    const status = reply.statusCode;
    if (status >= 500 || NOT_REPLAYED.has(status) || (typeof payload !== 'string' && payload !== null && payload !== undefined)) {
      await keys.release(claim);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    const stored: StoredResponse = { statusCode: status, headers, body: typeof payload === 'string' ? payload : '' };
    await keys.complete(claim, stored);
  }

  /** A request that errored out before onSend (an aborted connection) frees its key, unless its effect answered for it. */
  const onResponse: onResponseHookHandler = (request, _reply, done) => {
    const claim = letGo(request);
    if (claim === null) return done();
    keys.release(claim).then(() => done(), done);
  };

  /**
   * Gives a POST route its idempotency: the claim before its handler, the answer as it is sent. A route
   * with an effect returns its resource and is answered as its effect says, sealed or not.
   */
  function attach(route: RouteOptions): void {
    if (route.config?.idempotency === 'off') return;
    const answer = route.config?.effect as EffectAnswer<unknown> | undefined;
    if (!answer)
      throw new Error(`POST ${route.url} honours Idempotency-Key but declares no effect: give it config.effect, or idempotency: 'off'`);
    if (effects.has(answer.name)) throw new Error(`effect ${answer.name} is declared by two routes`);
    effects.add(answer.name);
    const handler = route.handler;
    route.handler = async function answered(this: unknown, request, reply) {
      const resource: unknown = await handler.call(this as never, request, reply);
      if (reply.sent || resource === reply) return reply;
      // Sealed in the effect's transaction: those bytes are the answer, now and on every replay.
      const response = request.idempotency?.sealed ?? render(reply, answer, resource);
      return applyAnswer(reply, response).send(response.body === '' ? null : response.body);
    };
    route.preValidation = [...asArray(route.preValidation), keepBodyAsSent];
    route.preHandler = [preHandler, ...asArray(route.preHandler)];
    route.onSend = [...asArray(route.onSend), onSend];
    route.onResponse = [...asArray(route.onResponse), onResponse];
  }

  return {
    attach,
    /** Claims and answers for every POST route, as a route extension of the HTTP server. */
    extension: {
      decorate: (app) => {
        app.decorateRequest('idempotency', null);
        app.decorateRequest('bodyAsSent', null);
      },
      onRoute: (route, methods) => {
        if (methods.includes('POST')) attach(route);
      },
    } satisfies RouteExtension,
    /** Names of every effect the routes declare (a fault point must name one). */
    effects: () => [...effects],
    sweep: () => keys.deleteExpired(new Date().toISOString()),
    stop() {
      if (renewal) clearInterval(renewal);
      renewal = null;
    },
  };
}

export type IdempotencyHooks = ReturnType<typeof createIdempotencyHooks>;
