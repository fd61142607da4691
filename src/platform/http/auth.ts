import type { FastifyReply, FastifyRequest } from 'fastify';
import { platformErrors } from './errors.js';

export type Role = 'customer' | 'admin';

/** Who is calling, once their bearer token has been checked. */
export interface Principal {
  userId: string;
  role: Role;
  sessionId: string;
}

/** Resolves a bearer token to its principal, or null when the token is unknown, expired or revoked. */
export type Authenticate = (token: string) => Promise<Principal | null>;

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** preHandler hooks a route puts in front of its handler. */
export interface AuthGuards {
  /** Any signed-in user. */
  user: Guard;
  /** Signed-in admins only; customers get 403. */
  admin: Guard;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function createAuthGuards(authenticate: Authenticate): AuthGuards {
  const user: Guard = async (request) => {
    const token = bearerToken(request);
    if (token === null) throw platformErrors.error('unauthorized', 'Send Authorization: Bearer <token>', { headers: { 'www-authenticate': 'Bearer' } });
    const principal = await authenticate(token);
    if (principal === null) throw platformErrors.error('unauthorized', 'The token is unknown, expired or revoked', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    request.principal = principal;
    request.log = request.log.child({ userId: principal.userId });
  };
  const admin: Guard = async (request, reply) => {
    await user(request, reply);
    if (request.principal?.role !== 'admin') throw platformErrors.error('forbidden', 'This operation needs the admin role');
  };
  return { user, admin };
}

/** The principal of a guarded route; a route without a guard that calls this is a wiring bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error(`route ${request.routeOptions.url} reads the principal without a guard`);
  return request.principal;
}
