import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runOrderly } from '../../harness/processes.js';
import { ADMIN, startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { liveOperations, openShop, PASSWORD, type Operation, type Shop } from '../support/api-surface.js';
import { asCurl, hostileRequests, send, type Answer, type HostileRequest } from '../support/hostile-requests.js';

// Generated hostile requests over every operation of the live OpenAPI document, as anonymous, a customer
// and an admin, on each database (PostgreSQL refuses what SQLite stores: a NUL in text, say). Bounded in
// count: FUZZ_RUNS per operation and caller (default 20: about 3,000 requests per database).
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const callers = ['anonymous', 'customer', 'admin'] as const;
const touchesSessions = (operation: Operation) => operation.path.startsWith('/v1/auth/') || operation.path.startsWith('/v1/me');

/** The properties every answer keeps, whatever was sent: never a 5xx, and every 4xx a problem with a code. */
function judge(answer: Answer): string | null {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (answer.status < 400) return null;
  if (!answer.contentType.startsWith('application/problem+json')) return `${answer.status} as ${answer.contentType || 'no content type'}`;
  try {
    const problem = JSON.parse(answer.text);
    if (typeof problem.code !== 'string' || problem.status !== answer.status)
      return `${answer.status} without a code: ${answer.text.slice(0, 200)}`;
  } catch {
    return `${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`;
  }
  return null;
}

describe.each(databaseKinds)('hostile input over every operation, on %s', (kind) => {
  let app: TestApp;
  let shop: Shop;
  let operations: Operation[];
  let tried = 0;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true' });
    shop = await openShop(app);
    operations = await liveOperations(app);
  }, 60_000);

  afterAll(async () => {
    await shop?.receiver.close();
    await app?.stop();
  });

  const tokens = new Map<string, string>();

  /** The caller's token; signed in afresh after an operation on sessions, so a fuzzed logout cannot blind the rest. */
  async function tokenOf(caller: (typeof callers)[number]): Promise<string | undefined> {
    if (caller === 'anonymous') return undefined;
    const known = tokens.get(caller);
    if (known !== undefined) return known;
    const who = caller === 'admin' ? ADMIN : { email: shop.owner.email, password: PASSWORD };
    const res = await app.http.post('/v1/auth/login', who);
    expect(res.status, `signing in as ${caller}: ${res.text}`).toBe(200);
    tokens.set(caller, res.body.token);
    return res.body.token;
  }

  let auditorToken = '';

  /** The newest audit record's id: a refused admin request must not have added one (it changed nothing). */
  async function newestAudit(): Promise<string | null> {
    let res = await app.http.get('/v1/admin/audit?limit=1', { token: auditorToken });
    if (res.status === 401) {
      auditorToken = (await app.http.post('/v1/auth/login', ADMIN)).body.token;
      res = await app.http.get('/v1/admin/audit?limit=1', { token: auditorToken });
    }
    expect(res.status, res.text).toBe(200);
    return res.body.items[0]?.id ?? null;
  }

  /**
   * A mutated body can still be a valid password change to a new password. The change is the caller's right;
   * the test puts the old password back (with the caller's own session, which a change keeps) so signing in
   * again, as the rest of the run does, still works.
   */
  async function restorePassword(request: HostileRequest, answer: Answer, password: string, token: string | undefined) {
    if (answer.status !== 204 || token === undefined || request.body === undefined) return;
    const changedTo = (JSON.parse(request.body.toString('utf8')) as { newPassword?: unknown }).newPassword;
    if (typeof changedTo !== 'string' || changedTo === password) return;
    const back = await app.http.post('/v1/me/password', { currentPassword: changedTo, newPassword: password }, { token });
    expect(back.status, `putting the password back: ${back.text}`).toBe(204);
  }

  test('no answer is a 5xx, every 4xx is problem+json with a code, a refused admin change leaves no trace, and the app stays healthy', async () => {
    for (const operation of operations) {
      for (const caller of callers) {
        const token = await tokenOf(caller);
        const withToken = (request: HostileRequest): HostileRequest =>
          token === undefined ? request : { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        const password = caller === 'admin' ? ADMIN.password : PASSWORD;
        await fc.assert(
          fc.asyncProperty(hostileRequests(operation, shop, password), async (generated) => {
            const request = withToken(generated);
            const watched = caller === 'admin' && operation.method !== 'GET';
            const before = watched ? await newestAudit() : null;
            const answer = await send(app.url, request).catch((error: Error) => {
              throw new Error(`${operation.name} as ${caller}: ${error.message}\n  ${asCurl(app.url, request)}`);
            });
            tried += 1;
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            const wrong = judge(answer);
            if (wrong) throw new Error(`${operation.name} as ${caller}: ${wrong}\n  ${asCurl(app.url, request)}`);
            if (operation.name === 'POST /v1/me/password') await restorePassword(request, answer, password, token);
            if (watched && answer.status >= 400 && (await newestAudit()) !== before)
              throw new Error(`${operation.name} as admin: refused with ${answer.status} yet audited\n  ${asCurl(app.url, request)}`);
          }),
          { numRuns: RUNS, endOnFailure: false },
        );
      }
      if (touchesSessions(operation)) tokens.clear();
      const health = await app.http.get('/healthz');
      expect(health.status, `unhealthy after ${operation.name}`).toBe(200);
    }
    console.log(
      `fuzz: ${tried} requests over ${operations.length} operations × ${callers.length} callers; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(tried).toBeGreaterThanOrEqual(operations.length * callers.length * RUNS);
    expect((await app.http.get('/readyz')).status).toBe(200);
  }, 600_000);

  test('orderly verify finds every invariant intact afterwards', async () => {
    const verify = runOrderly(['verify'], { ...app.env, LOG_LEVEL: 'warn' });
    expect(await verify.exited, verify.lines.join('\n')).toBe(0);
    expect(verify.lines.join('\n')).toMatch(/OK: every invariant holds/);
  }, 60_000);
});
