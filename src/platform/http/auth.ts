import type { FastifyInstance, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from 'fastify';
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

/**
 * Who may call a route, declared by every documented route and shown in the OpenAPI document as `x-access`:
 * - `public`: anyone, signed in or not;
 * - `user`: any signed-in user (401 without a valid token), acting on their own things only;
 * - `owner`: a signed-in user, on a resource named in the path that is theirs (an order: or any, for an
 *   admin; a session: theirs alone). Another user's answers 404, never 403, so ids cannot be probed;
 * - `admin`: admins only (customers get 403).
 */
export type Access = 'public' | 'user' | 'owner' | 'admin';

export const accessLevels: readonly Access[] = ['public', 'user', 'owner', 'admin'];

export interface Authentication {
  /** Root onRequest hook: echoes the request id, and resolves the bearer token, if one was sent, before anything else looks at the caller. */
  identify: onRequestHookHandler;
}

/**
 * preValidation hook of every route with `config.auth`: who may call is settled before the body is judged.
 * A callback, not an async function, and attached only where needed: public reads pay nothing for it.
 */
export const authorize: preValidationHookHandler = (request, _reply, done) => {
  const access = request.routeOptions.config.auth;
  if (access === undefined || access === 'public') return done();
  if (request.principal === null) {
    if (request.headers.authorization === undefined) {
      return done(
        platformErrors.error('unauthorized', 'Send Authorization: Bearer <token>', { headers: { 'www-authenticate': 'Bearer' } }),
      );
    }
    return done(
      platformErrors.error('unauthorized', 'The token is unknown, expired or revoked', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      }),
    );
  }
  if (access === 'admin' && request.principal.role !== 'admin')
    return done(platformErrors.error('forbidden', 'This operation needs the admin role'));
  done();
};

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: Access;
  }
}

/** Makes every route registered in this plugin need `access` (and documents the bearer scheme). */
export function requireAccess(app: FastifyInstance, access: Exclude<Access, 'public'>): void {
  app.addHook('preValidation', authorize);
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, auth: access };
    if (route.schema) route.schema = { ...route.schema, security: [{ bearer: [] }] };
  });
}

function bearerToken(header: string): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function createAuthentication(authenticate: Authenticate): Authentication {
  const identify: onRequestHookHandler = (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const header = request.headers.authorization;
    const token = header === undefined ? null : bearerToken(header);
    if (token === null) return done();
    authenticate(token).then((principal) => {
      request.principal = principal;
      if (principal) request.log = request.log.child({ userId: principal.userId });
      done();
    }, done);
  };

  return { identify };
}

/** The principal of a route with `config.auth`; a public route that calls this is a wiring bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error(`route ${request.routeOptions.url} reads the principal without config.auth`);
  return request.principal;
}
