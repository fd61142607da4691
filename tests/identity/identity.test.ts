import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { ADMIN, startApp, type TestApp } from '../support/app.js';

describe.each(databaseKinds)('accounts on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app.stop());

  it('signs up a customer, returns a working token, and never caches the answer', async () => {
    const res = await app.http.post('/v1/auth/signup', { email: 'Ada@Example.com', password: 'analytical-engine', name: 'Ada' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: 'Ada@Example.com',
      name: 'Ada',
      role: 'customer',
      createdAt: expect.any(String),
    });
    const me = await app.http.get('/v1/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('treats emails case-insensitively: a second signup is 409 email_taken, login works in any case', async () => {
    const dup = await app.http.post('/v1/auth/signup', { email: 'ada@example.COM', password: 'another-password', name: 'Imposter' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('email_taken');
    const login = await app.http.post('/v1/auth/login', { email: 'ADA@example.com', password: 'analytical-engine' });
    expect(login.status).toBe(200);
    expect(login.body.user.name).toBe('Ada');
  });

  it('lets exactly one of many concurrent signups with one email through', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.http.post('/v1/auth/signup', { email: 'race@orderly.test', password: 'password-1', name: 'Racer' }),
      ),
    );
    expect(attempts.filter((r) => r.status === 201)).toHaveLength(1);
    expect(attempts.filter((r) => r.status === 409 && r.body.code === 'email_taken')).toHaveLength(7);
  });

  it('refuses invalid signups with 400 and creates nothing', async () => {
    for (const body of [
      { email: 'x@y.z', password: 'short', name: 'A' },
      { email: 'no-at-sign', password: 'long-enough', name: 'A' },
      { email: 'ok@y.z', password: 'long-enough', name: '' },
      { email: 'ok@y.z', password: 'long-enough' },
      {},
    ]) {
      const res = await app.http.post('/v1/auth/signup', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await app.http.post('/v1/auth/login', { email: 'ok@y.z', password: 'long-enough' })).status).toBe(401);
  });

  it('answers a wrong password and an unknown email alike: 401 invalid_credentials', async () => {
    const wrong = await app.http.post('/v1/auth/login', { email: 'ada@example.com', password: 'wrong-password' });
    const unknown = await app.http.post('/v1/auth/login', { email: 'nobody@example.com', password: 'whatever-1' });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
    }
    expect(wrong.body.title).toBe(unknown.body.title);
  });

  it('requires a valid bearer token: none, garbage and unknown tokens are 401', async () => {
    for (const token of [undefined, 'garbage', 'ot_unknown-token-value']) {
      const res = await app.http.get('/v1/me', token ? { token } : {});
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('logs out: 204, and that token stops working while other sessions keep theirs', async () => {
    const first = await app.http.post('/v1/auth/login', { email: 'ada@example.com', password: 'analytical-engine' });
    const second = await app.http.post('/v1/auth/login', { email: 'ada@example.com', password: 'analytical-engine' });
    const out = await app.http.post('/v1/auth/logout', undefined, { token: first.body.token });
    expect(out.status).toBe(204);
    expect((await app.http.get('/v1/me', { token: first.body.token })).status).toBe(401);
    expect((await app.http.post('/v1/auth/logout', undefined, { token: first.body.token })).status).toBe(401);
    expect((await app.http.get('/v1/me', { token: second.body.token })).status).toBe(200);
  });

  it('bootstraps the admin from the environment', async () => {
    const me = await app.http.get('/v1/me', { token: app.adminToken });
    expect(me.body).toMatchObject({ email: ADMIN.email, role: 'admin' });
  });

  it('stores tokens only as hashes and passwords only as salted scrypt hashes', async () => {
    const login = await app.http.post('/v1/auth/login', { email: 'ada@example.com', password: 'analytical-engine' });
    const db = app.orderly.database.db;
    const sessions = await sql<{ token_hash: string }>`select token_hash from identity_sessions`.execute(db);
    expect(sessions.rows.length).toBeGreaterThan(0);
    expect(sessions.rows.some((r) => r.token_hash === login.body.token)).toBe(false);
    expect(sessions.rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
    const users = await sql<{ password_hash: string }>`select password_hash from identity_users`.execute(db);
    const hashes = users.rows.map((r) => r.password_hash);
    expect(hashes.every((h) => h.startsWith('scrypt$'))).toBe(true);
    expect(new Set(hashes.map((h) => h.split('$')[4])).size).toBe(hashes.length);
  });
});
