import { Type } from 'typebox';
import { principalOf } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { effect } from '../../platform/idempotency/effects.js';
import { NoContent, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import type { IdentityService, SignedIn as SignedInView } from './service.js';
import { UserSchema } from './schemas.js';

const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$' });
const SignedIn = Type.Object({
  user: UserSchema,
  token: Type.String({ description: 'bearer token; send as Authorization: Bearer <token>' }),
});

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
          password: Type.String({ minLength: 8, maxLength: 1024 }),
          name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
        }),
        response: { 201: SignedIn, ...problems(400, 409) },
      },
    },
    async (request) => service.signup(request.body),
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
    async (request) => service.login(request.body),
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
}
