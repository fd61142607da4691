import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { createOrderly, type Orderly } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/platform/observability/logger.js';
import { createTestDatabase, type DatabaseKind } from './databases.js';
import { httpClient, type HttpClient } from './http.js';

export const ADMIN = { email: 'admin@orderly.test', password: 'admin-password-1' };

/** A real Orderly listening on a loopback port, over a database of its own. */
export interface TestApp {
  kind: DatabaseKind;
  /** What an `orderly` command needs to reach this app's database (and the settings it was started with). */
  env: Record<string, string>;
  url: string;
  http: HttpClient;
  orderly: Orderly;
  adminToken: string;
  /** Signs up a fresh customer and returns its token and id. */
  customer(): Promise<{ token: string; id: string; email: string }>;
  /** Creates a product as admin; returns the product. */
  product(overrides?: Record<string, unknown>): Promise<any>;
  stop(): Promise<void>;
}

export function uniqueSku(prefix = 'SKU'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function startApp(kind: DatabaseKind, env: Record<string, string> = {}, options: { logger?: Logger } = {}): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.ORDERLY_TEST_LOG_LEVEL ?? 'silent',
    ORDERLY_ADMIN_EMAIL: ADMIN.email,
    ORDERLY_ADMIN_PASSWORD: ADMIN.password,
    // Suites sign up many customers from one loopback address, and bursts on a shared 2-core box stall
    // the loop: the rate-limit and load-shedding suites turn limits and shedding on for themselves.
    ORDERLY_RATE_LIMITS: 'off',
    ORDERLY_LOAD_SHEDDING: 'false',
    ...database.env,
    ...env,
  });
  const orderly = await createOrderly(config, options);
  const url = await orderly.listen();
  const http = httpClient(url);
  const login = await http.post('/v1/auth/login', ADMIN);
  expect(login.status).toBe(200);

  return {
    kind,
    env: { ...database.env, ...env },
    url,
    http,
    orderly,
    adminToken: login.body.token,
    async customer() {
      const email = `buyer-${randomBytes(6).toString('hex')}@orderly.test`;
      const res = await http.post('/v1/auth/signup', { email, password: 'correct-horse-1', name: 'Test Buyer' });
      expect(res.status).toBe(201);
      return { token: res.body.token, id: res.body.user.id, email };
    },
    async product(overrides = {}) {
      const res = await http.post(
        '/v1/products',
        {
          title: 'Espresso cup',
          category: 'kitchen',
          variants: [{ sku: uniqueSku(), price: { amount: 1200, currency: 'USD' }, stock: 10 }],
          ...overrides,
        },
        { token: login.body.token },
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    },
    async stop() {
      await orderly.close();
      await database.drop();
    },
  };
}
