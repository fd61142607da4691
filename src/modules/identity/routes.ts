import { Type } from 'typebox';
import { principalOf } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { effect } from '../../platform/idempotency/effects.js';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import type { FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH } from './password-policy.js';
import type { Client, IdentityService, SignedIn as SignedInView } from './service.js';
import { SessionSchema, UserSchema } from './schemas.js';

const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$' });
const NewPassword = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: 1024,
  description: `at least ${MIN_PASSWORD_LENGTH} characters, and not one of the most common passwords (400 password_too_common)`,
});
const SignedIn = Type.Object({
  user: UserSchema,
  token: Type.String({ description: 'bearer token; send as Authorization: Bearer <token>' }),
});

/** Who signs in, as the session list shows it: the client's own word for itself, and its address. */
function clientOf(request: FastifyRequest): Client {
  const agent = request.headers['user-agent'];
  return { userAgent: typeof agent === 'string' && agent !== '' ? agent.slice(0, 512) : null, address: request.ip };
}

export async function identityRoutes(app: HttpApp, service: IdentityService): Promise<void> {
  privateResponses(app);

  app.post(
    '/auth/signup',
    {
      config: { auth: 'public', priority: 'login', rateLimit: ['signup'], effect: effect<SignedInView>('identity.signup', 201) },
      schema: {
        tags: ['accounts'],
        summary: 'Create a customer account and sign in',
        body: Type.Object({
          email: Email,
          password: NewPassword,
          name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
        }),
        response: { 201: SignedIn, ...problems(400, 409) },
      },
    },
    async (request) => service.signup(request.body, clientOf(request)),
  );

  app.post(
    '/auth/login',
    {
      // Per IP before the body is read, then per account: a password-guessing bot is slowed whichever it rotates.
      config: { auth: 'public', priority: 'login', rateLimit: ['login_ip', 'login'], effect: effect<SignedInView>('identity.login', 200) },
      schema: {
        tags: ['accounts'],
        summary: 'Sign in with email and password',
        body: Type.Object({
          email: Type.String({ minLength: 1, maxLength: 254 }),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
        }),
        response: { 200: SignedIn, ...problems(400, 401) },
      },
    },
    async (request) => service.login(request.body, clientOf(request)),
  );

  app.post(
    '/auth/logout',
    {
      config: { auth: 'user', effect: effect<null>('identity.logout', 204) },
      schema: {
        tags: ['accounts'],
        summary: 'Revoke the calling token',
        security: [{ bearer: [] }],
        response: { 204: NoContent, ...problems(401) },
      },
    },
    async (request) => {
      await service.logout(principalOf(request).sessionId);
      return null;
    },
  );

  app.get(
    '/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'The signed-in user',
        security: [{ bearer: [] }],
        response: { 200: UserSchema, ...problems(401) },
      },
    },
    async (request) => {
      const user = await service.getUser(principalOf(request).userId);
      if (user === null) throw platformErrors.error('unauthorized');
      return user;
    },
  );

  app.get(
    '/me/sessions',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: "The signed-in user's sessions still valid, newest first (at most 100)",
        security: [{ bearer: [] }],
        response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...problems(401) },
      },
    },
    async (request) => ({ items: await service.listSessions(principalOf(request)) }),
  );

  app.delete(
    '/me/sessions/:id',
    {
      config: { auth: 'owner' },
      schema: {
        tags: ['accounts'],
        summary: "End one of the user's sessions: its token stops working at once",
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 204: NoContent, ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      if (!(await service.endSession(principalOf(request), request.params.id)))
        throw platformErrors.error('not_found', `No session ${request.params.id}`);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/me/password',
    {
      // Per address like a login, and per user: a stolen token must not make guessing the current password cheap.
      config: {
        auth: 'user',
        priority: 'login',
        rateLimit: ['login_ip', 'password_change'],
        effect: effect<null>('identity.change-password', 204),
      },
      schema: {
        tags: ['accounts'],
        summary: 'Change the password; every other session of the user ends (the calling one stays)',
        security: [{ bearer: [] }],
        body: Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 1024 }), newPassword: NewPassword }),
        response: { 204: NoContent, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      await service.changePassword(principalOf(request), request.body, clientOf(request));
      return null;
    },
  );
}
