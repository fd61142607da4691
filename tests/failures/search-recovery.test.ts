import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startApp } from '../support/app.js';
import { createTestDatabase, databaseKinds } from '../support/databases.js';
import { httpClient, type HttpClient } from '../support/http.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { storageOf, tamper } from '../support/tamper.js';

const ADMIN = { email: 'search-admin@orderly.test', password: 'search-admin-1' };

/** Active products the index knows of: the category facet of a search for everything. */
async function indexedCount(http: HttpClient): Promise<number> {
  const res = await http.get('/v1/search?limit=1');
  expect(res.status).toBe(200);
  return Object.values(res.body.facets.category as Record<string, number>).reduce((a, b) => a + b, 0);
}

async function runToEnd(args: string[], env: Record<string, string>) {
  const run = runOrderly(args, env);
  const code = await run.exited;
  return { code, stdout: run.lines.join('\n'), stderr: run.stderr.join('') };
}

describe.each(databaseKinds)('the search index recovers by itself on %s', (kind) => {
  it('indexes a dead-lettered update once it is redriven', async () => {
    const app = await startApp(kind, { ORDERLY_MESSAGE_MAX_ATTEMPTS: '2', ORDERLY_MESSAGE_RETRY_BASE_MS: '10' });
    try {
      const product = await app.product({ title: 'Walnut Tray' });
      await eventually('the product indexed', async () => (await app.http.get('/v1/search?q=walnut')).body.items.length === 1);
      const table = kind === 'sqlite' ? 'documents' : 'search_documents';
      await tamper(storageOf(app.orderly.config, 'search.db'), `alter table ${table} rename to ${table}_away`);

      expect((await app.http.patch(`/v1/products/${product.id}`, { title: 'Cherrywood Tray' }, { token: app.adminToken })).status).toBe(
        200,
      );
      const letter = await eventually('the update dead-lettered', async () => {
        const letters = (await app.http.get('/v1/admin/dlq', { token: app.adminToken })).body.items;
        return letters.find((l: { group: string; key: string }) => l.group === 'search' && l.key === product.id);
      });
      expect(letter.type).toBe('product.updated');
      await tamper(storageOf(app.orderly.config, 'search.db'), `alter table ${table}_away rename to ${table}`);
      // Still the old version: nothing was indexed while the index was broken.
      expect((await app.http.get('/v1/search?q=cherrywood')).body.items).toEqual([]);

      expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, { token: app.adminToken })).status).toBe(202);
      await eventually('the redriven update indexed', async () => (await app.http.get('/v1/search?q=cherrywood')).body.items.length === 1);
      expect((await app.http.get('/v1/search?q=walnut')).body.items).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  it('catches up after kill -9, and seed and reindex (re)build it from the catalog', async () => {
    const database = await createTestDatabase(kind);
    const port = await freePort();
    const env = {
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
    };
    const http = httpClient(`http://127.0.0.1:${port}`);
    let server: OrderlyProcess = await startServer(env);
    try {
      const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
      for (let i = 0; i < 15; i += 1) {
        const res = await http.post(
          '/v1/products',
          {
            title: `Crashproof lamp ${i}`,
            category: 'lighting',
            variants: [{ sku: `LAMP-${i}`, price: { amount: 4000, currency: 'USD' } }],
          },
          { token: admin },
        );
        expect(res.status).toBe(201);
      }
      // Killed right after the last 201: whatever the index had not applied yet is still in the outbox.
      server.child.kill('SIGKILL');
      await server.exited;
      server = await startServer(env);
      await eventually(
        'every product created before the crash indexed',
        async () => (await http.get('/v1/search?q=crashproof&limit=100')).body.items.length === 15,
      );
      server.child.kill('SIGTERM');
      await server.exited;

      const seeded = await runToEnd(['seed', '--products', '120'], { ...env, LOG_LEVEL: 'warn' });
      expect(seeded.code, seeded.stderr).toBe(0);
      expect(seeded.stdout).toContain('120 product(s) created and indexed');
      expect(seeded.stderr).toMatch(/seeding products \[#+\] 100% 120\/120/);

      // The index loses everything; a reindex rebuilds it from the catalog.
      if (kind === 'sqlite') fs.rmSync(path.join(database.env.ORDERLY_DATA_DIR!, 'search.db'));
      else await tamper({ postgresUrl: database.env.DATABASE_URL! }, 'delete from search_documents');
      const reindexed = await runToEnd(['search', 'reindex'], { ...env, LOG_LEVEL: 'warn' });
      expect(reindexed.code, reindexed.stderr).toBe(0);
      expect(reindexed.stdout).toContain('135 product(s) indexed');
      expect(reindexed.stderr).toMatch(/reindexing search \[#+\] 100% 135\/135/);

      server = await startServer(env);
      expect(await indexedCount(http)).toBe(135);
      expect((await http.get('/v1/search?q=crashproof&limit=100')).body.items).toHaveLength(15);
      const bad = await runToEnd(['seed', '--products', 'many'], env);
      expect(bad.code).toBe(2);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await database.drop();
    }
  }, 120_000);
});
