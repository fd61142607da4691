import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { eventually } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const receivers: Receiver[] = [];
async function receiver(answer?: Receiver['answer']): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

describe.each(databaseKinds)('webhook endpoint health, attempt details and test events on %s', (kind) => {
  let app: TestApp;
  const admin = () => ({ token: app.adminToken });
  const createEndpoint = async (url: string, events: string[]) => {
    const res = await app.http.post('/v1/webhooks/endpoints', { url, events }, admin());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const attempts = async (endpointId: string) =>
    (await app.http.get(`/v1/webhooks/endpoints/${endpointId}/deliveries?limit=100`, admin())).body.items as any[];

  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true', ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms' });
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('reports health from the attempts, and logs the headers the receiver got and the start of its answer', async () => {
    // A NUL in a receiver's answer (PostgreSQL's text refuses it) is left out of the excerpt, not a failed write.
    const long = `refused:\u0000 ${'x'.repeat(3000)}`;
    const r = await receiver((n) => (n < 2 ? { status: 500, body: long } : { status: 200, body: '{"received":true}' }));
    const { id } = await createEndpoint(r.url, ['product.created']);
    const fresh = await app.http.get(`/v1/webhooks/endpoints/${id}`, admin());
    expect(fresh.body.health).toEqual({
      attempts: 0,
      succeeded: 0,
      successRatio: null,
      p50Ms: null,
      p99Ms: null,
      lastError: null,
      lastAttemptAt: null,
    });

    await app.product({ title: 'Health check' });
    const log = await eventually('three attempts logged', async () => {
      const items = await attempts(id);
      return items.length === 3 ? items : null;
    });
    expect(log.map((a) => [a.attempt, a.status, a.responseStatus])).toEqual([
      [3, 'succeeded', 200],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
    // Newest first in the log, oldest first at the receiver.
    for (const [i, attempt] of [...log].reverse().entries()) {
      const got = r.received[i]!.headers;
      expect(attempt.requestHeaders).toMatchObject({
        'webhook-id': got['webhook-id'],
        'webhook-timestamp': got['webhook-timestamp'],
        'webhook-signature': got['webhook-signature'],
        'content-type': got['content-type'],
        'user-agent': got['user-agent'],
      });
    }
    expect(log[0].responseBody).toBe('{"received":true}');
    expect(log[1].responseBody).toBe(long.slice(0, 1024).replace('\u0000', ''));

    const { body: endpoint } = await app.http.get(`/v1/webhooks/endpoints/${id}`, admin());
    const durations = log.map((a) => a.durationMs).sort((a: number, b: number) => a - b);
    expect(endpoint.health).toEqual({
      attempts: 3,
      succeeded: 1,
      successRatio: 1 / 3,
      p50Ms: durations[1],
      p99Ms: durations[2],
      lastError: 'receiver answered 500',
      lastAttemptAt: log[0].at,
    });
    const listed = (await app.http.get('/v1/webhooks/endpoints?limit=100', admin())).body.items.find((e: any) => e.id === id);
    expect(listed.health).toEqual(endpoint.health);
  });

  it('sends a signed webhook.test to one endpoint whatever it subscribes to, logged and audited; 404 unknown, 409 disabled', async () => {
    const r = await receiver();
    const other = await receiver();
    const { id, secret } = await createEndpoint(r.url, ['order.confirmed']);
    await createEndpoint(other.url, ['*']);
    const res = await app.http.post(`/v1/webhooks/endpoints/${id}/test`, undefined, admin());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ messageId: expect.stringMatching(/^msg_/) });
    const message = await eventually('the test event', async () => r.received[0]);
    const verified = new Webhook(secret).verify(message.body, message.headers as Record<string, string>) as any;
    expect(verified).toMatchObject({ id: res.body.messageId, type: 'webhook.test', data: { endpointId: id } });
    expect(message.headers['webhook-id']).toBe(res.body.messageId);
    const log = await eventually('the test attempt logged', async () => {
      const items = await attempts(id);
      return items.length === 1 ? items : null;
    });
    expect(log[0]).toMatchObject({ messageId: res.body.messageId, eventType: 'webhook.test', status: 'succeeded', responseBody: 'ok' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(other.received).toEqual([]);

    const audit = await app.http.get(`/v1/admin/audit?action=webhook_endpoint.test_sent&subject=${id}`, admin());
    expect(audit.body.items).toEqual([expect.objectContaining({ action: 'webhook_endpoint.test_sent', subject: id })]);
    expect(audit.body.items[0].after).toEqual({ messageId: res.body.messageId });

    const unknown = await app.http.post('/v1/webhooks/endpoints/whe_0000000000000000000000000000dead/test', undefined, admin());
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    await app.http.patch(`/v1/webhooks/endpoints/${id}`, { disabled: true }, admin());
    const disabled = await app.http.post(`/v1/webhooks/endpoints/${id}/test`, undefined, admin());
    expect(disabled.status).toBe(409);
    expect(disabled.body.code).toBe('webhook_endpoint_disabled');
    const customer = await app.customer();
    expect((await app.http.post(`/v1/webhooks/endpoints/${id}/test`, undefined, { token: customer.token })).status).toBe(403);
    expect(r.received).toHaveLength(1);
  });
});
