import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyReply } from 'fastify';
import type { Executor } from '../db/database.js';
import { createIdempotencyStore, type ClaimRef, type StoredResponse } from './store.js';
import type { SecretBox } from '../secrets/secret-box.js';

/**
 * How a POST route answers once its effect is made: the effect's name (`orders.place`, for logs and for
 * the test-only fault point), the success status, and the headers that go with the resource. The route's
 * handler returns the resource; the platform answers with this status and these headers.
 */
export interface EffectAnswer<R = never> {
  name: string;
  status: number;
  headers?: (resource: R) => Record<string, string>;
}

export function effect<R>(name: string, status: number, headers?: (resource: R) => Record<string, string>): EffectAnswer<R> {
  return { name, status, ...(headers ? { headers } : {}) };
}

/** A request that holds an Idempotency-Key while it runs. */
export interface KeyClaim extends ClaimRef {
  answer: EffectAnswer<unknown> | null;
  reply: FastifyReply;
  /** The answer recorded in the effect's transaction; what the response must be, byte for byte. */
  sealed: StoredResponse | null;
  /** What the answer is encrypted under where it is stored (see store.ts). */
  secrets: SecretBox | null;
}

/** Thrown in the effect's transaction when the key was taken over meanwhile: the effect must not commit. */
export class ClaimLost extends Error {
  override name = 'ClaimLost';
}

const claims = new AsyncLocalStorage<KeyClaim>();

/** Runs the rest of a request (its handler) with its claim in reach of `answerWithin`. */
export const withClaim = <T>(claim: KeyClaim, fn: () => T): T => claims.run(claim, fn);

/**
 * The response a route gives for `resource`: its status, the headers its answer names, and the body its
 * response schema serializes. The reply is left as it was: the answer is only applied once it is sent.
 */
export function render(reply: FastifyReply, answer: EffectAnswer<unknown>, resource: unknown): StoredResponse {
  const headers: Record<string, string> = { ...answer.headers?.(resource) };
  if (answer.status === 204) return { statusCode: 204, headers, body: '' };
  const status = reply.statusCode;
  // The serializer is chosen by status code: the one of the success response.
  reply.code(answer.status);
  try {
    return {
      statusCode: answer.status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: reply.serialize(resource) as string,
    };
  } finally {
    reply.code(status);
  }
}

/** Gives a reply the status and headers of an answer (its body goes as the payload). */
export function applyAnswer(reply: FastifyReply, response: StoredResponse): FastifyReply {
  return reply.code(response.statusCode).headers(response.headers);
}

/**
 * Called by a service inside the transaction that makes a request's effect, with the resource the request
 * answers with. When the request holds an Idempotency-Key, its answer is written to the key in that very
 * transaction, so a crash leaves either no effect and a free key or the effect and its answer (the way
 * Stripe's atomic phases record a recovery point). Outside a keyed request it does nothing. Throws
 * ClaimLost, rolling the effect back, when another request took the key over meanwhile.
 */
export async function answerWithin(tx: Executor, resource: unknown): Promise<void> {
  const claim = claims.getStore();
  if (!claim?.answer) return;
  const response = render(claim.reply, claim.answer, resource);
  if (!(await createIdempotencyStore(tx, claim.secrets).complete(claim, response)))
    throw new ClaimLost(`${claim.key} is no longer held by this request`);
  claim.sealed = response;
}
