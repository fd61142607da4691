import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startServer, type OrderlyProcess } from '../support/process.js';
import { createTestDatabase, databaseKinds } from '../support/databases.js';

const running: OrderlyProcess[] = [];
const dirs: string[] = [];

/** A JSON body as the loosely typed value a test inspects. */
const json = (res: Response): Promise<any> => res.json();

afterEach(async () => {
  for (const server of running.splice(0)) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<{ server: OrderlyProcess; url: string }> {
  const port = await freePort();
  const server = await startServer({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  running.push(server);
  return { server, url: `http://127.0.0.1:${port}` };
}

async function stop(server: OrderlyProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
  running.splice(running.indexOf(server), 1);
}

const logged = (server: OrderlyProcess, msg: string) => server.lines.some((l) => l.includes(`"msg":"${msg}"`));

describe('the demo shop of `orderly start`', () => {
  it('fills a new embedded database once: ~200 products with pictures and stock, and a customer and an admin printed in the log', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-demo-'));
    dirs.push(dataDir);
    const { server, url } = await start({ ORDERLY_DATA_DIR: dataDir, ORDERLY_DEMO: 'auto' });
    const opened = await server.waitForLog('demo shop opened');
    expect(opened.products).toBe(200);

    const search = await json(await fetch(`${url}/v1/search?limit=1`));
    const categories = Object.keys(search.facets.category);
    expect(categories.length).toBeGreaterThanOrEqual(5);
    expect(Object.values<number>(search.facets.category).reduce((a, b) => a + b, 0)).toBe(200);
    const product = search.items[0];
    const image = await fetch(`${url}/images/products/${product.id}.svg`);
    expect(await image.text()).toContain(product.category);
    const stock = await json(await fetch(`${url}/v1/stock?${product.variants.map((v: any) => `sku=${v.sku}`).join('&')}`));
    expect(stock.items).toHaveLength(product.variants.length);

    const login = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: opened.email, password: opened.demoPassword }),
    });
    expect(login.status).toBe(200);
    // The demo admin, its password made for this shop and printed once, can operate it.
    expect(opened.adminEmail).toBe('admin@orderly.test');
    expect(opened.demoAdminPassword).toMatch(/^[\w-]{16}$/);
    const operator = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: opened.adminEmail, password: opened.demoAdminPassword }),
    });
    expect(operator.status).toBe(200);
    const { token } = await json(operator);
    expect((await fetch(`${url}/v1/admin/breakers`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    // A restart finds its shop as it left it: nothing is added twice.
    await stop(server);
    const again = await start({ ORDERLY_DATA_DIR: dataDir, ORDERLY_DEMO: 'auto' });
    expect(logged(again.server, 'demo shop opened')).toBe(false);
    const after = await json(await fetch(`${again.url}/v1/search?limit=1`));
    expect(Object.values<number>(after.facets.category).reduce((a, b) => a + b, 0)).toBe(200);
  });

  it('makes no demo admin where a bootstrap admin is configured', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-demo-'));
    dirs.push(dataDir);
    const bootstrap = { ORDERLY_ADMIN_EMAIL: 'ops@orderly.test', ORDERLY_ADMIN_PASSWORD: 'a-long-operator-pass' };
    const { server, url } = await start({ ORDERLY_DATA_DIR: dataDir, ORDERLY_DEMO: 'auto', ...bootstrap });
    const opened = await server.waitForLog('demo shop opened');
    expect(opened.adminEmail).toBeUndefined();
    const login = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@orderly.test', password: 'anything-at-all' }),
    });
    expect(login.status).toBe(401);
  });

  it('stays off with ORDERLY_DEMO=false', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-demo-'));
    dirs.push(dataDir);
    const { server, url } = await start({ ORDERLY_DATA_DIR: dataDir, ORDERLY_DEMO: 'false' });
    expect(logged(server, 'demo shop opened')).toBe(false);
    expect((await json(await fetch(`${url}/v1/products`))).items).toEqual([]);
  });

  // Only where a PostgreSQL server is given (always in CI); no test is registered without one.
  it.each(databaseKinds.filter((kind) => kind === 'postgres'))('never fills %s unless asked', async (kind) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-demo-'));
    dirs.push(dataDir);
    const database = await createTestDatabase(kind);
    try {
      const { server, url } = await start({ ORDERLY_DATA_DIR: dataDir, ORDERLY_DEMO: 'auto', ...database.env });
      expect(logged(server, 'demo shop opened')).toBe(false);
      expect((await json(await fetch(`${url}/v1/products`))).items).toEqual([]);
      await stop(server);
    } finally {
      await database.drop();
    }
  });
});
