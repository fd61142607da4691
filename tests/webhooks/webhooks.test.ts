import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds, messagingKinds } from '../support/databases.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const TIMEOUT_MS = 2_000;
const receivers: Receiver[] = [];

async function receiver(answer?: Receiver['answer']): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

const bodyOf = (r: { body: string }) => JSON.parse(r.body) as { id: string; type: string; timestamp: string; data: any };

describe.each(messagingKinds)('webhooks on %s', (kind) => {
  let app: TestApp;
  const admin = () => ({ token: app.adminToken });
  const createEndpoint = async (url: string, events: string[] = ['*']) => {
    const res = await app.http.post('/v1/webhooks/endpoints', { url, events, description: 'test' }, admin());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const attempts = async (endpointId: string) =>
    (await app.http.get(`/v1/webhooks/endpoints/${endpointId}/deliveries?limit=100`, admin())).body.items as any[];
  /** Creates a product and returns the id of its product.created message, once `r` has it. */
  const productEvent = async (r: Receiver, title = 'Hooked product') => {
    const product = await app.product({ title });
    const got = await eventually(`product.created for ${product.id}`, async () =>
      r.received.find((m) => bodyOf(m).data.product?.id === product.id),
    );
    return { product, messageId: got.headers['webhook-id'] as string };
  };

  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
      ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
      ORDERLY_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      ORDERLY_WEBHOOK_ENDPOINT_CONCURRENCY: '4',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  // First in the suite: no endpoint exists yet.
  it('queues nothing for an event no endpoint subscribes to, yet counts it as applied, and sends the next one once an endpoint does', async () => {
    const handled = (group: string) => metricValue(app.http, 'orderly_messages_handled_total', { group, outcome: 'applied' });
    const [webhooksBefore, searchBefore] = [await handled('webhooks'), await handled('search')];
    const r = await receiver();
    const { id } = await createEndpoint(r.url, ['order.confirmed']);
    await app.product({ title: 'Unwatched product' });
    await eventually('search applied product.created', async () => (await handled('search')) > searchBefore || undefined);
    expect(await handled('webhooks')).toBe(webhooksBefore);
    expect((await app.orderly.bus.backlog(0)).lost).toEqual([]);

    await app.http.patch(`/v1/webhooks/endpoints/${id}`, { events: ['product.created'] }, admin());
    const { product } = await productEvent(r, 'Watched product');
    expect(r.received.map((m) => bodyOf(m).data.product.id)).toEqual([product.id]);
    await eventually('webhooks applied product.created', async () => (await handled('webhooks')) === webhooksBefore + 1);
    expect((await app.http.delete(`/v1/webhooks/endpoints/${id}`, admin())).status).toBe(204);
  });

  it('manages endpoints: the secret is shown once, and bad input is refused with problem+json', async () => {
    const r = await receiver();
    const created = await createEndpoint(r.url, ['order.confirmed', 'product.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(created).toMatchObject({ url: r.url, events: ['order.confirmed', 'product.created'], disabled: false, disabledReason: null });
    const read = await app.http.get(`/v1/webhooks/endpoints/${created.id}`, admin());
    expect(read.status).toBe(200);
    expect(read.body.secret).toBeUndefined();
    expect((await app.http.get('/v1/webhooks/endpoints?limit=100', admin())).body.items.map((e: any) => e.id)).toContain(created.id);
    const patched = await app.http.patch(`/v1/webhooks/endpoints/${created.id}`, { events: ['*'], description: 'all of it' }, admin());
    expect(patched.body).toMatchObject({ events: ['*'], description: 'all of it' });

    for (const body of [
      { url: 'ftp://example.com/x', events: ['*'] },
      { url: 'not a url', events: ['*'] },
      { url: 'https://example.com/x', events: ['order.teleported'] },
      { url: 'https://example.com/x', events: [] },
      { url: 'https://user:pass@example.com/x', events: ['*'] },
    ]) {
      const res = await app.http.post('/v1/webhooks/endpoints', body, admin());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const customer = await app.customer();
    expect((await app.http.get('/v1/webhooks/endpoints', { token: customer.token })).status).toBe(403);
    expect((await app.http.delete(`/v1/webhooks/endpoints/${created.id}`, admin())).status).toBe(204);
    expect((await app.http.get(`/v1/webhooks/endpoints/${created.id}`, admin())).status).toBe(404);
  });

  it('signs every delivery so an independent Standard Webhooks implementation accepts it, and rejects a tampered one', async () => {
    const r = await receiver();
    const { secret, id } = await createEndpoint(r.url, ['product.created']);
    const { product } = await productEvent(r);
    const message = r.received[0]!;
    const verified = new Webhook(secret).verify(message.body, message.headers as Record<string, string>) as any;
    expect(verified).toMatchObject({ type: 'product.created', data: { product: { id: product.id } } });
    expect(verified.id).toBe(message.headers['webhook-id']);
    expect(message.headers['content-type']).toBe('application/json');
    const tampered = message.body.replace('Hooked product', 'Hooked pr0duct');
    expect(() => new Webhook(secret).verify(tampered, message.headers as Record<string, string>)).toThrow(/signature/i);
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret entirely').toString('base64')}`).verify(
        message.body,
        message.headers as Record<string, string>,
      ),
    ).toThrow();
    // Only what it subscribed to: archiving sends product.updated elsewhere, not here.
    await app.http.patch(`/v1/products/${product.id}`, { title: 'Renamed' }, admin());
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received.map((m) => bodyOf(m).type)).toEqual(['product.created']);
    expect((await attempts(id)).map((a) => a.status)).toEqual(['succeeded']);
  });

  it('retries a receiver that fails twice under the same webhook-id, and logs every attempt', async () => {
    const r = await receiver((n) => ({ status: n < 2 ? 500 : 204 }));
    const { id } = await createEndpoint(r.url, ['product.created']);
    await app.product({ title: 'Flaky receiver' });
    await eventually('third attempt', async () => r.received.length >= 3);
    expect(new Set(r.received.map((m) => m.headers['webhook-id'])).size).toBe(1);
    const log = await eventually('three attempts logged', async () => {
      const items = await attempts(id);
      return items.length === 3 ? items : null;
    });
    expect(log.map((a) => [a.attempt, a.status, a.responseStatus])).toEqual([
      [3, 'succeeded', 204],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
    expect(log[0]).toMatchObject({ messageId: r.received[0]!.headers['webhook-id'], eventType: 'product.created' });
    // Retries waited for the schedule (100 ms, then 200 ms, each ±20 %).
    expect(r.received[2]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(230);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.received).toHaveLength(3);
  });

  it('honours Retry-After', async () => {
    const r = await receiver((n) => (n === 0 ? { status: 503, headers: { 'retry-after': '1' } } : {}));
    await createEndpoint(r.url, ['product.created']);
    await app.product({ title: 'Busy receiver' });
    await eventually('the retry', async () => r.received.length >= 2);
    expect(r.received[1]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('fans an event out to more endpoints than one transaction takes, each endpoint once under the same webhook-id', async () => {
    const many = await receiver();
    // More than the 64 endpoints (ORDERLY_WEBHOOK_FANOUT_CHUNK) the bus's transaction gives deliveries to; the rest are fanned out after it.
    const endpoints = [];
    for (let i = 0; i < 75; i += 1) endpoints.push(await createEndpoint(`http://127.0.0.1:${many.port}/fan/${i}`, ['product.created']));
    const product = await app.product({ title: 'Fanned out' });
    const mine = () => many.received.filter((m) => bodyOf(m).data.product.id === product.id);
    await eventually('every endpoint has the product', async () => new Set(mine().map((m) => m.path)).size === 75, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(mine()).toHaveLength(75);
    expect(new Set(mine().map((m) => m.headers['webhook-id'])).size).toBe(1);
    for (const e of endpoints) expect((await app.http.delete(`/v1/webhooks/endpoints/${e.id}`, admin())).status).toBe(204);
  });

  it('does not let a receiver that hangs delay deliveries to another endpoint', async () => {
    const hanging = await receiver(() => ({ delayMs: 60_000 }));
    const fast = await receiver();
    const hung = await createEndpoint(hanging.url, ['product.created']);
    await createEndpoint(fast.url, ['product.created']);
    const before = await metricValue(app.http, 'orderly_webhook_deliveries_active', { state: 'in_flight' });
    const products = [];
    for (let i = 0; i < 12; i += 1) products.push(await app.product({ title: `Rush ${i}` }));
    const ids = new Set(products.map((p) => p.id));
    await eventually(
      'the fast endpoint has every product',
      async () => fast.received.filter((m) => ids.has(bodyOf(m).data.product.id)).length === 12,
      10_000,
    );
    const lateness = fast.received.filter((m) => ids.has(bodyOf(m).data.product.id)).map((m) => m.at - Date.parse(bodyOf(m).timestamp));
    // Each fast delivery arrived well before even one attempt to the hanging receiver could time out.
    expect(Math.max(...lateness)).toBeLessThan(TIMEOUT_MS);
    // Meanwhile the hanging endpoint had all its slots (4) taken, and the rest of its deliveries waited their turn.
    expect(await metricValue(app.http, 'orderly_webhook_deliveries_active', { state: 'in_flight' })).toBeGreaterThanOrEqual(before + 4);
    expect(hanging.received.length).toBeLessThanOrEqual(4 + 4);
    expect((await app.http.patch(`/v1/webhooks/endpoints/${hung.id}`, { disabled: true }, admin())).body.disabledReason).toBe('manual');
  });

  it('disables an endpoint that answers 410 Gone, and sends it nothing more', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const { id } = await createEndpoint(r.url, ['product.created']);
    await app.product({ title: 'Gone receiver' });
    const endpoint = await eventually('endpoint disabled', async () => {
      const res = await app.http.get(`/v1/webhooks/endpoints/${id}`, admin());
      return res.body.disabled ? res.body : null;
    });
    expect(endpoint.disabledReason).toBe('gone');
    await app.product({ title: 'After gone' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received).toHaveLength(1);
    expect((await attempts(id)).map((a) => a.responseStatus)).toEqual([410]);
  });

  it('does not follow redirects', async () => {
    const target = await receiver();
    const redirecting = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const { id } = await createEndpoint(redirecting.url, ['product.created']);
    await app.product({ title: 'Redirected' });
    await eventually('two attempts', async () => (await attempts(id)).length >= 2);
    expect(target.received).toHaveLength(0);
    expect((await attempts(id)).every((a) => a.status === 'failed' && a.responseStatus === 302)).toBe(true);
    await app.http.patch(`/v1/webhooks/endpoints/${id}`, { disabled: true }, admin());
  });

  it('replays a message to its endpoints under the same webhook-id', async () => {
    const r = await receiver();
    await createEndpoint(r.url, ['product.created']);
    const { messageId } = await productEvent(r, 'Replayed');
    const replay = await app.http.post(`/v1/webhooks/messages/${messageId}/replay`, undefined, admin());
    expect(replay.status).toBe(202);
    // Every endpoint the message went to gets it again; earlier tests' endpoints took product.created too.
    expect(replay.body.messageId).toBe(messageId);
    expect(replay.body.deliveries).toBeGreaterThanOrEqual(1);
    await eventually('the replay', async () => r.received.length === 2);
    expect(r.received[1]!.headers['webhook-id']).toBe(messageId);
    expect(r.received[1]!.body).toBe(r.received[0]!.body);
    expect((await app.http.post(`/v1/webhooks/messages/msg_${'0'.repeat(32)}/replay`, undefined, admin())).status).toBe(404);
  });

  it('signs with both secrets while a rotation overlaps', async () => {
    const r = await receiver();
    const { id, secret: old } = await createEndpoint(r.url, ['product.created']);
    const rotated = await app.http.post(`/v1/webhooks/endpoints/${id}/rotate-secret`, undefined, admin());
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(old);
    await productEvent(r, 'Rotated');
    const message = r.received[0]!;
    expect(String(message.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [old, rotated.body.secret])
      expect(() => new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).not.toThrow();
  });

  it('dead-letters a delivery that exhausts its retries, and redrives it from the dead-letter store', async () => {
    let healthy = false;
    const r = await receiver(() => ({ status: healthy ? 200 : 500 }));
    const { id } = await createEndpoint(r.url, ['product.created']);
    const product = await app.product({ title: 'Dead lettered' });
    const letter = await eventually('the dead letter', async () => {
      const res = await app.http.get('/v1/admin/dlq?limit=100', admin());
      return res.body.items.find((l: any) => l.group === 'webhooks' && l.key === id);
    });
    expect(r.received).toHaveLength(4);
    expect(letter).toMatchObject({ type: 'product.created', attempts: 4, error: 'receiver answered 500' });
    expect(letter.data.data.product.id).toBe(product.id);
    expect(await metricValue(app.http, 'orderly_webhook_dead_lettered_total', {})).toBeGreaterThanOrEqual(1);
    healthy = true;
    expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, admin())).status).toBe(202);
    await eventually('delivered after the redrive', async () => (await attempts(id))[0]?.status === 'succeeded');
    expect(r.received).toHaveLength(5);
    const remaining = (await app.http.get('/v1/admin/dlq?limit=100', admin())).body.items;
    expect(remaining.find((l: any) => l.id === letter.id)).toBeUndefined();
    expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, admin())).status).toBe(404);
  });
});

describe.each(databaseKinds)('webhook SSRF protection on %s', (kind) => {
  let app: TestApp;
  let r: Receiver;

  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms',
      ORDERLY_WEBHOOK_DISABLE_AFTER: '700ms',
    });
    r = await startReceiver();
  });

  afterAll(async () => {
    await app?.stop();
    await r?.close();
  });

  it('refuses private, loopback and link-local addresses written in the URL', async () => {
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://10.1.2.3/x',
      'http://192.168.0.10/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://[fe80::1]/x',
      'http://0.0.0.0/x',
    ]) {
      const res = await app.http.post('/v1/webhooks/endpoints', { url, events: ['*'] }, { token: app.adminToken });
      expect(res.status, url).toBe(400);
      expect(res.body.code).toBe('webhook_url_forbidden');
    }
  });

  it('checks the resolved address at connection time, and disables an endpoint failing for longer than allowed', async () => {
    const created = await app.http.post(
      '/v1/webhooks/endpoints',
      { url: `http://localhost:${r.port}/hooks`, events: ['product.created'] },
      { token: app.adminToken },
    );
    expect(created.status).toBe(201);
    await app.product({ title: 'Never leaves' });
    const endpoint = await eventually('disabled for failing', async () => {
      const res = await app.http.get(`/v1/webhooks/endpoints/${created.body.id}`, { token: app.adminToken });
      return res.body.disabled ? res.body : null;
    });
    expect(endpoint.disabledReason).toBe('failing');
    const log = (await app.http.get(`/v1/webhooks/endpoints/${created.body.id}/deliveries`, { token: app.adminToken })).body.items;
    expect(log.length).toBeGreaterThanOrEqual(2);
    for (const attempt of log)
      expect(attempt).toMatchObject({
        status: 'failed',
        responseStatus: null,
        error: expect.stringMatching(/private, loopback or link-local/),
      });
    expect(r.received).toHaveLength(0);
  });
});
