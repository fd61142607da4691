import { randomBytes, scryptSync } from 'node:crypto';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/observability/logger.js';
import { databaseKinds } from '../support/databases.js';
import { startApp, type TestApp } from '../support/app.js';

const PASSWORD = 'correct-horse-1';

/** A hash as Orderly made them before N=2^17: `scrypt$N$r$p$salt$hash` at N=2^14. */
function oldFormatHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 64, { N: 2 ** 14, r: 8, p: 1 });
  return ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe.each(databaseKinds)('sessions and passwords on %s', (kind) => {
  let app: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    app = await startApp(kind, {}, { logger });
  });
  afterAll(() => app.stop());

  /** A fresh account: its email and the token of the signup's session. */
  async function account(userAgent = 'Orderly-Test/1 (signup)') {
    const email = `acct-${randomBytes(6).toString('hex')}@orderly.test`;
    const res = await app.http.post(
      '/v1/auth/signup',
      { email, password: PASSWORD, name: 'Session Tester' },
      { headers: { 'user-agent': userAgent } },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { email, id: res.body.user.id as string, token: res.body.token as string };
  }

  async function login(email: string, password = PASSWORD, userAgent = 'Orderly-Test/1 (login)') {
    return app.http.post('/v1/auth/login', { email, password }, { headers: { 'user-agent': userAgent } });
  }

  async function sessionsOf(token: string) {
    const res = await app.http.get('/v1/me/sessions', { token });
    expect(res.status).toBe(200);
    return res.body.items as Array<{
      id: string;
      current: boolean;
      createdAt: string;
      lastUsedAt: string;
      userAgent: string;
      address: string;
    }>;
  }

  const storedHash = async (userId: string) =>
    (await sql<{ password_hash: string }>`select password_hash from identity_users where id = ${userId}`.execute(app.orderly.database.db))
      .rows[0]!.password_hash;

  it('lists the caller’s sessions with the client and address each signed in from, the calling one current', async () => {
    const ada = await account('Phone/1.0');
    const second = await login(ada.email, PASSWORD, 'Laptop/2.0');
    expect(second.status).toBe(200);
    await account(); // someone else's sessions are not listed

    const items = await sessionsOf(second.body.token);
    expect(items).toHaveLength(2);
    expect(items.map((s) => [s.userAgent, s.current])).toEqual(
      expect.arrayContaining([
        ['Phone/1.0', false],
        ['Laptop/2.0', true],
      ]),
    );
    for (const s of items) {
      expect(s).toEqual({
        id: expect.stringMatching(/^ses_/),
        current: expect.any(Boolean),
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        userAgent: expect.any(String),
        address: '127.0.0.1',
      });
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    }
    expect((await app.http.get('/v1/me/sessions')).status).toBe(401);
  });

  it('ends one session: its token is refused at once, the others keep working; another user’s session is 404', async () => {
    const ada = await account();
    const other = (await login(ada.email)).body.token as string;
    const mallory = await account();
    const [target] = (await sessionsOf(ada.token)).filter((s) => !s.current);

    const foreign = await app.http.delete(`/v1/me/sessions/${target!.id}`, { token: mallory.token });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    expect(foreign.body.code).toBe('not_found');
    expect((await app.http.get('/v1/me', { token: other })).status).toBe(200);

    const ended = await app.http.delete(`/v1/me/sessions/${target!.id}`, { token: ada.token });
    expect(ended.status).toBe(204);
    expect((await app.http.get('/v1/me', { token: other })).status).toBe(401);
    expect((await app.http.get('/v1/me', { token: ada.token })).status).toBe(200);
    expect((await app.http.delete(`/v1/me/sessions/${target!.id}`, { token: ada.token })).status).toBe(404);
    expect((await sessionsOf(ada.token)).map((s) => s.id)).not.toContain(target!.id);
  });

  it('records a session’s use at most once a minute, not once per request', async () => {
    const ada = await account();
    const fresh = (await login(ada.email)).body.token as string;
    const [session] = (await sessionsOf(ada.token)).filter((s) => !s.current);
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    const setLastUsed = (at: string) =>
      sql`update identity_sessions set last_used_at = ${at} where id = ${session!.id}`.execute(app.orderly.database.db);

    await setLastUsed(longAgo);
    expect((await app.http.get('/v1/me', { token: fresh })).status).toBe(200);
    const used = (await sessionsOf(ada.token)).find((s) => s.id === session!.id)!;
    expect(Date.now() - Date.parse(used.lastUsedAt)).toBeLessThan(60_000);

    // Within the minute, further requests write nothing: the row keeps what it was set to.
    await setLastUsed(longAgo);
    for (let i = 0; i < 3; i++) expect((await app.http.get('/v1/me', { token: fresh })).status).toBe(200);
    expect((await sessionsOf(ada.token)).find((s) => s.id === session!.id)!.lastUsedAt).toBe(longAgo);
  });

  it('changes the password: 204, every other session ends, the calling one stays, only the new password signs in', async () => {
    const ada = await account();
    const others = [(await login(ada.email)).body.token as string, (await login(ada.email)).body.token as string];
    const bob = await account();

    const changed = await app.http.post(
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: 'a-much-better-passphrase' },
      { token: ada.token },
    );
    expect(changed.status).toBe(204);
    for (const token of others) expect((await app.http.get('/v1/me', { token })).status).toBe(401);
    expect((await app.http.get('/v1/me', { token: ada.token })).status).toBe(200);
    expect((await app.http.get('/v1/me', { token: bob.token })).status).toBe(200);
    expect((await sessionsOf(ada.token)).map((s) => s.current)).toEqual([true]);

    expect((await login(ada.email)).status).toBe(401);
    expect((await login(ada.email, 'a-much-better-passphrase')).status).toBe(200);
  });

  it('replays a retried password change under its Idempotency-Key instead of changing it twice', async () => {
    const ada = await account();
    const body = { currentPassword: PASSWORD, newPassword: 'retried-passphrase-7' };
    const headers = { 'idempotency-key': `pw-${randomBytes(6).toString('hex')}` };
    const first = await app.http.post('/v1/me/password', body, { token: ada.token, headers });
    const again = await app.http.post('/v1/me/password', body, { token: ada.token, headers });
    expect(first.status).toBe(204);
    expect(again.status).toBe(204);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // Without the key the same body is judged afresh: its current password is no longer the current one.
    expect((await app.http.post('/v1/me/password', body, { token: ada.token })).status).toBe(403);
    expect((await login(ada.email, 'retried-passphrase-7')).status).toBe(200);
  });

  it('refuses a password change with a wrong current password (403) or a weak new one (400), changing nothing', async () => {
    const ada = await account();
    const other = (await login(ada.email)).body.token as string;
    const before = await storedHash(ada.id);

    const wrong = await app.http.post(
      '/v1/me/password',
      { currentPassword: 'not-my-password', newPassword: 'another-fine-phrase' },
      { token: ada.token },
    );
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.body.code).toBe('current_password_wrong');

    const common = await app.http.post('/v1/me/password', { currentPassword: PASSWORD, newPassword: 'Password123' }, { token: ada.token });
    expect(common.status).toBe(400);
    expect(common.body).toMatchObject({ code: 'password_too_common', errors: [{ field: '/newPassword' }] });

    const short = await app.http.post('/v1/me/password', { currentPassword: PASSWORD, newPassword: 'short' }, { token: ada.token });
    expect(short.status).toBe(400);
    expect(short.body.code).toBe('validation_failed');

    expect(await storedHash(ada.id)).toBe(before);
    expect((await app.http.get('/v1/me', { token: other })).status).toBe(200);
    expect((await login(ada.email)).status).toBe(200);
    expect((await app.http.post('/v1/me/password', { currentPassword: PASSWORD, newPassword: 'x-long-enough-1' })).status).toBe(401);
  });

  it('refuses a common password at signup with 400 password_too_common, and creates nothing', async () => {
    for (const password of ['password1', 'Qwertyuiop', 'iloveyou', 'sunshine']) {
      const email = `common-${randomBytes(4).toString('hex')}@orderly.test`;
      const res = await app.http.post('/v1/auth/signup', { email, password, name: 'Weak' });
      expect(res.status, password).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'password_too_common', errors: [{ field: '/password' }] });
      const users = await sql<{ n: number }>`select count(*) as n from identity_users where email = ${email}`.execute(
        app.orderly.database.db,
      );
      expect(Number(users.rows[0]!.n)).toBe(0);
      // The email is still free: nothing half-made stands in the way.
      expect((await app.http.post('/v1/auth/signup', { email, password: 'an-uncommon-phrase-9', name: 'Weak' })).status).toBe(201);
    }
  });

  it('upgrades a hash made under older parameters on the next successful login, and only then', async () => {
    const ada = await account();
    const old = oldFormatHash(PASSWORD);
    if (kind === 'sqlite') {
      // Written from outside the app, as an older Orderly left it in the file.
      const file = new Sqlite(path.join(app.env.ORDERLY_DATA_DIR!, 'orderly.db'));
      try {
        file.prepare('update identity_users set password_hash = ? where id = ?').run(old, ada.id);
      } finally {
        file.close();
      }
    } else {
      await sql`update identity_users set password_hash = ${old} where id = ${ada.id}`.execute(app.orderly.database.db);
    }
    expect(await storedHash(ada.id)).toBe(old);

    expect((await login(ada.email, 'wrong-password-1')).status).toBe(401);
    expect(await storedHash(ada.id)).toBe(old);

    expect((await login(ada.email)).status).toBe(200);
    const upgraded = await storedHash(ada.id);
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$[\w-]+\$[\w-]+$/);
    expect((await login(ada.email)).status).toBe(200);
    expect(await storedHash(ada.id)).toBe(upgraded);
  });

  it('logs a failed login with the account id and address, never the password, and answers alike whether the email exists', async () => {
    const ada = await account();
    lines.length = 0;
    const wrong = await login(ada.email, 'secret-guess-1');
    const unknown = await login(`nobody-${randomBytes(4).toString('hex')}@orderly.test`, 'secret-guess-2');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    expect({ ...wrong.body, requestId: null }).toEqual({ ...unknown.body, requestId: null });

    const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'login failed');
    expect(failed).toEqual([
      expect.objectContaining({ level: 40, userId: ada.id, address: '127.0.0.1' }),
      expect.objectContaining({ level: 40, address: '127.0.0.1' }),
    ]);
    expect(failed[1].userId).toBeUndefined();
    const logged = lines.join('\n');
    expect(logged).not.toContain('secret-guess');
    expect(logged).not.toContain(ada.email);
  });
});

describe('password change rate limit', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('sqlite', { ORDERLY_RATE_LIMITS: 'password_change=2/60,login_ip=1000/60' });
  });
  afterAll(() => app?.stop());

  it('is limited per user: a stolen token cannot guess the current password at leisure, and others are not held back', async () => {
    const victim = await app.customer();
    for (let i = 0; i < 2; i++) {
      const res = await app.http.post(
        '/v1/me/password',
        { currentPassword: `guess-${i}-xx`, newPassword: 'whatever-new-1' },
        { token: victim.token },
      );
      expect(res.status).toBe(403);
      expect(res.headers.get('ratelimit-policy')).toContain('"password_change";q=2;w=60');
    }
    const limited = await app.http.post(
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: 'whatever-new-1' },
      { token: victim.token },
    );
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    const other = await app.customer();
    const res = await app.http.post(
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: 'whatever-new-1' },
      { token: other.token },
    );
    expect(res.status).toBe(204);
  });
});
