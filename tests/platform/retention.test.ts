import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

// Old rows are made by short retentions, run often: what is past them goes within a run or two, and what
// must stay is looked at by the same runs (every rule walks its rows oldest first).
const OFTEN = { ORDERLY_RETENTION_EVERY: '200ms', ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true', ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms' };

/** The webhook-side helpers over one app, for endpoints whose receivers answer as told. */
function webhooksOf(app: () => TestApp, receivers: Receiver[]) {
  const admin = () => ({ token: app().adminToken });
  return {
    async endpoint(events: string[], answer: Receiver['answer']) {
      const r = await startReceiver(answer);
      receivers.push(r);
      const res = await app().http.post('/v1/webhooks/endpoints', { url: r.url, events }, admin());
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { id: res.body.id as string, received: r.received };
    },
    attempts: async (endpointId: string) =>
      (await app().http.get(`/v1/webhooks/endpoints/${endpointId}/deliveries?limit=100`, admin())).body.items,
    async deadLetter(key: string) {
      const res = await app().http.get('/v1/admin/dlq?limit=100', admin());
      return res.body.items.find((l: { key: string }) => l.key === key);
    },
    async deliveries(endpointId: string) {
      const query = sql<{
        status: string;
        dead_at: string | null;
      }>`select status, dead_at from webhook_deliveries where endpoint_id = ${endpointId}`;
      return (await query.execute(app().orderly.database.db)).rows;
    },
    async messageKept(id: string) {
      const query = sql<{ id: string }>`select id from webhook_messages where id = ${id}`;
      return (await query.execute(app().orderly.database.db)).rows.length === 1;
    },
    redrive: (id: string) => app().http.post(`/v1/admin/dlq/${id}/redrive`, undefined, admin()),
  };
}

const notificationsOf = async (app: TestApp, token: string) => (await app.http.get('/v1/notifications?limit=100', { token })).body.items;
const mailbox = async (app: TestApp, to: string) =>
  (await app.http.get(`/v1/admin/mailbox?limit=100&to=${encodeURIComponent(to)}`, { token: app.adminToken })).body.items;
const emailSandbox = (app: TestApp, faults: { down: boolean }) =>
  app.http.put('/v1/admin/sandbox/email/faults', faults, { token: app.adminToken });
const pruned = (app: TestApp, kind: string) => metricValue(app.http, 'orderly_retention_pruned_total', { kind });

describe.each(databaseKinds)('retention of what is delivered, sent or expired on %s', (kind) => {
  let app: TestApp;
  const receivers: Receiver[] = [];
  const webhooks = webhooksOf(() => app, receivers);

  beforeAll(async () => {
    app = await startApp(kind, {
      ...OFTEN,
      ORDERLY_RETENTION_WEBHOOK_ATTEMPTS: '1s',
      ORDERLY_RETENTION_NOTIFICATIONS: '1s',
      ORDERLY_RETENTION_SESSIONS: '1s',
      ORDERLY_RETENTION_DEAD_LETTERS: '1h',
      // A failed send comes back after five minutes or more: a notification retrying stays pending meanwhile.
      ORDERLY_MESSAGE_RETRY_BASE_MS: '600000',
      ORDERLY_MESSAGE_RETRY_MAX_MS: '600000',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('prunes delivered webhooks, their attempts and messages; keeps retrying and dead deliveries, and dead letters resolved more recently than their retention', async () => {
    let healthy = false;
    const retrying = await webhooks.endpoint(['product.created'], () => ({ status: 503, headers: { 'retry-after': '3600' } }));
    const resolved = await webhooks.endpoint(['product.created'], () => ({ status: healthy ? 200 : 500 }));
    const dead = await webhooks.endpoint(['product.created'], () => ({ status: 500 }));
    const delivered = await webhooks.endpoint(['product.updated'], () => ({}));
    const product = await app.product({ title: 'Kept for a while' });
    await eventually('the first attempt of the retrying delivery', async () => (await webhooks.attempts(retrying.id)).length === 1);
    const letter = await eventually('the dead letter to resolve', () => webhooks.deadLetter(resolved.id));
    await eventually('the dead letter left alone', () => webhooks.deadLetter(dead.id));
    healthy = true;
    expect((await webhooks.redrive(letter.id)).status).toBe(202);
    await eventually('the redriven delivery delivered', async () => (await webhooks.attempts(resolved.id))[0]?.status === 'succeeded');
    const createdId = String(retrying.received[0]!.headers['webhook-id']);

    expect((await app.http.patch(`/v1/products/${product.id}`, { title: 'Renamed' }, { token: app.adminToken })).status).toBe(200);
    await eventually('the delivered webhook', async () => delivered.received.length === 1);
    const updatedId = String(delivered.received[0]!.headers['webhook-id']);
    await eventually('the delivered webhook, its attempt and its message pruned', async () => {
      const [attempts, deliveries] = [await webhooks.attempts(delivered.id), await webhooks.deliveries(delivered.id)];
      return attempts.length === 0 && deliveries.length === 0 && !(await webhooks.messageKept(updatedId));
    });
    expect((await app.http.post(`/v1/webhooks/messages/${updatedId}/replay`, undefined, { token: app.adminToken })).status).toBe(404);

    expect(await webhooks.attempts(retrying.id)).toEqual([expect.objectContaining({ status: 'failed', responseStatus: 503 })]);
    expect(await webhooks.deliveries(retrying.id)).toEqual([{ status: 'pending', dead_at: null }]);
    expect(await webhooks.deadLetter(dead.id)).toMatchObject({ attempts: 3, messageId: createdId });
    expect(await webhooks.attempts(dead.id)).toHaveLength(3);
    expect(await webhooks.deliveries(resolved.id)).toEqual([{ status: 'succeeded', dead_at: expect.any(String) }]);
    expect(await webhooks.attempts(resolved.id)).toHaveLength(4);
    expect(await webhooks.messageKept(createdId)).toBe(true);
    for (const kind of ['webhook_attempts', 'webhook_deliveries', 'webhook_messages'])
      expect(await pruned(app, kind), kind).toBeGreaterThan(0);
    expect(await pruned(app, 'webhook_dead_letters')).toBe(0);
  });

  it('prunes sent notifications and the mailbox; keeps a notification still being retried', async () => {
    expect((await emailSandbox(app, { down: true })).status).toBe(200);
    const retried = await app.customer();
    await eventually('the welcome failed once', async () => (await notificationsOf(app, retried.token))[0]?.attempts === 1);
    expect((await emailSandbox(app, { down: false })).status).toBe(200);

    const sent = await app.customer();
    await eventually('the welcome sent', async () => (await mailbox(app, sent.email)).length === 1);
    await eventually('the sent welcome and its copy in the mailbox pruned', async () => {
      return (await notificationsOf(app, sent.token)).length === 0 && (await mailbox(app, sent.email)).length === 0;
    });
    expect(await notificationsOf(app, retried.token)).toEqual([
      expect.objectContaining({ template: 'welcome', status: 'pending', attempts: 1 }),
    ]);
    expect(await pruned(app, 'notifications')).toBeGreaterThan(0);
    expect(await pruned(app, 'notification_mailbox')).toBeGreaterThan(0);
  });

  it('prunes sessions past their expiry by the retention; keeps live ones and revoked ones not yet expired', async () => {
    const customer = await app.customer();
    const login = async () =>
      (await app.http.post('/v1/auth/login', { email: customer.email, password: 'correct-horse-1' })).body.token as string;
    const [live, revoked] = [await login(), await login()];
    expect((await app.http.post('/v1/auth/logout', undefined, { token: revoked })).status).toBe(204);
    const db = app.orderly.database.db;
    // A session lasts an hour at least: the signup's one is made to have expired, as it would have by then.
    const expiredAt = new Date(Date.now() - 2_000).toISOString();
    await sql`update identity_sessions set expires_at = ${expiredAt} where id = (select min(id) from identity_sessions where user_id = ${customer.id})`.execute(
      db,
    );
    const sessions = async () =>
      (await sql<{ id: string }>`select id from identity_sessions where user_id = ${customer.id}`.execute(db)).rows.length;
    await eventually('the expired session pruned', async () => (await sessions()) === 2);
    expect((await app.http.get('/v1/me', { token: live })).status).toBe(200);
    expect((await app.http.get('/v1/me', { token: customer.token })).status).toBe(401);
    expect(await pruned(app, 'sessions')).toBeGreaterThan(0);
  });
});

describe.each(databaseKinds)('retention of resolved dead letters on %s', (kind) => {
  let app: TestApp;
  const receivers: Receiver[] = [];
  const webhooks = webhooksOf(() => app, receivers);

  beforeAll(async () => {
    app = await startApp(kind, {
      ...OFTEN,
      ORDERLY_RETENTION_WEBHOOK_ATTEMPTS: '1h',
      ORDERLY_RETENTION_NOTIFICATIONS: '1s',
      ORDERLY_RETENTION_DEAD_LETTERS: '1s',
      ORDERLY_MESSAGE_MAX_ATTEMPTS: '2',
      ORDERLY_MESSAGE_RETRY_BASE_MS: '50',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('prunes a webhook dead letter once redriven and delivered; keeps unresolved ones and recent deliveries', async () => {
    let healthy = false;
    const resolved = await webhooks.endpoint(['product.created'], () => ({ status: healthy ? 200 : 500 }));
    const dead = await webhooks.endpoint(['product.created'], () => ({ status: 500 }));
    const delivered = await webhooks.endpoint(['product.created'], () => ({}));
    await app.product({ title: 'Dead, then not' });
    const letter = await eventually('the dead letter to resolve', () => webhooks.deadLetter(resolved.id));
    await eventually('the dead letter left alone', () => webhooks.deadLetter(dead.id));
    healthy = true;
    expect((await webhooks.redrive(letter.id)).status).toBe(202);
    await eventually('the redriven delivery delivered and then pruned', async () => (await webhooks.deliveries(resolved.id)).length === 0);

    const messageId = String(delivered.received[0]!.headers['webhook-id']);
    expect(await webhooks.deadLetter(dead.id)).toMatchObject({ attempts: 3, messageId });
    expect(await webhooks.deliveries(delivered.id)).toEqual([{ status: 'succeeded', dead_at: null }]);
    expect(await webhooks.attempts(delivered.id)).toHaveLength(1);
    // Attempts follow the attempts' retention (an hour here) once their delivery is gone.
    expect(await webhooks.attempts(resolved.id)).toHaveLength(4);
    expect(await webhooks.messageKept(messageId)).toBe(true);
    expect(await pruned(app, 'webhook_dead_letters')).toBe(1);
    expect(await pruned(app, 'webhook_deliveries')).toBe(0);
  });

  it('keeps a failed notification while its dead letter is unresolved, and prunes it once redriven and sent', async () => {
    expect((await emailSandbox(app, { down: true })).status).toBe(200);
    const failed = await app.customer();
    await eventually('the welcome failed for good', async () => (await notificationsOf(app, failed.token))[0]?.status === 'failed');
    expect((await emailSandbox(app, { down: false })).status).toBe(200);
    const sent = await app.customer();
    await eventually('the sent welcome pruned', async () => {
      return (await mailbox(app, sent.email)).length === 0 && (await notificationsOf(app, sent.token)).length === 0;
    });
    const [notification] = await notificationsOf(app, failed.token);
    expect(notification).toMatchObject({ template: 'welcome', status: 'failed' });
    const letter = await eventually('its dead letter', async () => {
      const res = await app.http.get('/v1/admin/dlq?limit=100', { token: app.adminToken });
      return res.body.items.find(
        (l: { group: string; data: { notificationId?: string } }) =>
          l.group === 'notifications.email' && l.data.notificationId === notification.id,
      );
    });
    expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, { token: app.adminToken })).status).toBe(202);
    await eventually('the redriven welcome sent and then pruned', async () => (await notificationsOf(app, failed.token)).length === 0);
  });
});
