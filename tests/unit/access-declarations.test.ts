import Fastify from 'fastify';
import { describe, expect, test } from 'vitest';
import { enforceAccessDeclarations } from '../../src/platform/http/access.js';
import type { HttpApp } from '../../src/platform/http/types.js';

describe('access declarations', () => {
  test('an API route that does not say who may call it stops the app from starting', async () => {
    const app = Fastify() as unknown as HttpApp;
    enforceAccessDeclarations(app);
    app.get('/v1/declared', { config: { auth: 'public' } }, async () => ({}));
    app.post('/v1/forgotten', async () => ({}));
    await expect(app.ready()).rejects.toThrow(/POST \/v1\/forgotten/);
    await app.close();
  });

  test('plugin-wide declarations count, and hidden routes outside /v1 need none', async () => {
    const app = Fastify() as unknown as HttpApp;
    enforceAccessDeclarations(app);
    await app.register(async (scoped) => {
      scoped.addHook('onRoute', (route) => {
        route.config = { ...route.config, auth: 'admin' };
      });
      scoped.get('/v1/admin/thing', async () => ({}));
    });
    app.get('/docs/static', { schema: { hide: true } }, async () => ({}));
    await expect(app.ready()).resolves.toBeDefined();
    await app.close();
  });
});
