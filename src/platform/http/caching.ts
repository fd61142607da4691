import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const PUBLIC_CACHE = 'public, max-age=60, s-maxage=300, stale-while-revalidate=30';
export const PRIVATE_NO_STORE = 'private, no-store';

/** A strong ETag over the exact bytes that would be sent. */
export function strongEtag(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/**
 * Sends a public, cacheable JSON body with its ETag, or 304 when the client already holds it.
 * The body is serialized here so the ETag covers exactly what goes on the wire.
 */
export function sendCacheable(request: FastifyRequest, reply: FastifyReply, payload: unknown, cacheControl = PUBLIC_CACHE): FastifyReply {
  const body = JSON.stringify(payload);
  const etag = strongEtag(body);
  reply.header('etag', etag).header('cache-control', cacheControl).header('vary', 'accept-encoding');
  const ifNoneMatch = request.headers['if-none-match'];
  if (typeof ifNoneMatch === 'string' && matches(ifNoneMatch, etag)) return reply.status(304).send();
  return reply.type('application/json; charset=utf-8').send(body);
}
