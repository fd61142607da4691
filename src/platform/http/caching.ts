import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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

/** A JSON body serialized once, with the ETag of exactly those bytes; cheap to send again. */
export interface Representation {
  body: string;
  etag: string;
}

export function representationOf(payload: unknown): Representation {
  return representationOfJson(JSON.stringify(payload));
}

/** A representation of JSON text already assembled (e.g. from stored product JSON), with its ETag. */
export function representationOfJson(body: string): Representation {
  return { body, etag: strongEtag(body) };
}

/** Sends a public, cacheable representation with its ETag, or 304 when the client already holds it. */
export function sendRepresentation(
  request: FastifyRequest,
  reply: FastifyReply,
  representation: Representation,
  cacheControl = PUBLIC_CACHE,
): FastifyReply {
  reply.header('etag', representation.etag).header('cache-control', cacheControl);
  const ifNoneMatch = request.headers['if-none-match'];
  if (typeof ifNoneMatch === 'string' && matches(ifNoneMatch, representation.etag)) return reply.status(304).send();
  return reply.type('application/json; charset=utf-8').send(representation.body);
}

export function sendCacheable(request: FastifyRequest, reply: FastifyReply, payload: unknown, cacheControl = PUBLIC_CACHE): FastifyReply {
  return sendRepresentation(request, reply, representationOf(payload), cacheControl);
}

/** Marks every response of this plugin's routes as personal: never stored by a browser or a CDN. */
export function privateResponses(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('cache-control', PRIVATE_NO_STORE);
    done(null, payload);
  });
}
