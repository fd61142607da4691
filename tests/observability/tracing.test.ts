import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds, testNatsUrl, type TestDatabase } from '../support/databases.js';
import { httpClient, type HttpClient } from '../support/http.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlp-collector.js';
import { ADDRESS } from '../support/orders.js';
import { startPaymentSim, type PaymentSimProcess } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { eventually } from '../support/payment-sim.js';

const ADMIN = { email: 'trace-admin@orderly.test', password: 'trace-admin-1' };
const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

function otel(collector: OtlpCollector, protocol: 'http/json' | 'http/protobuf', service = 'orderly'): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: service };
}

/** A shop with a product, a customer and a merchant endpoint for order.confirmed. */
async function openShop(http: HttpClient, receiver: Receiver) {
  const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
  const hook = await http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['order.confirmed'] }, { token: admin });
  expect(hook.status).toBe(201);
  const sku = `TRACE-${randomBytes(3).toString('hex')}`;
  const product = await http.post(
    '/v1/products',
    { title: 'Traced teapot', category: 'kitchen', variants: [{ sku, price: { amount: 2400, currency: 'USD' }, stock: 10 }] },
    { token: admin },
  );
  expect(product.status).toBe(201);
  const signup = await http.post('/v1/auth/signup', { email: `tracer-${sku}@orderly.test`, password: 'tracer-pass-1', name: 'Tracy' });
  return { admin, customer: signup.body.token as string, variantId: product.body.variants[0].id as string };
}

/** Places an order and waits until it is confirmed and its webhook arrived; gives the trace id its POST answered with. */
async function placeTracedOrder(http: HttpClient, receiver: Receiver, shop: Awaited<ReturnType<typeof openShop>>) {
  const placed = await http.post(
    '/v1/orders',
    { items: [{ variantId: shop.variantId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
    { token: shop.customer, headers: { 'idempotency-key': `trace-${randomBytes(6).toString('hex')}` } },
  );
  expect(placed.status, placed.text).toBe(202);
  const traceparent = String(placed.headers.get('traceparent'));
  expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const traceId = traceparent.split('-')[1]!;
  const orderId = placed.body.id as string;
  await eventually(
    `order ${orderId} confirmed`,
    async () => (await http.get(`/v1/orders/${orderId}`, { token: shop.customer })).body.status === 'confirmed',
  );
  const webhook = await eventually('the order.confirmed webhook', async () =>
    receiver.received.find((r) => JSON.parse(r.body).data?.orderId === orderId),
  );
  return { traceId, orderId, webhook };
}

const jsonLines = (p: OrderlyProcess) => p.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

describe('one trace per order, on the embedded default', () => {
  let database: TestDatabase;
  let collector: OtlpCollector;
  let sim: PaymentSimProcess;
  let receiver: Receiver;
  let server: OrderlyProcess;
  let env: Record<string, string>;
  let http: HttpClient;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    collector = await startOtlpCollector();
    sim = await startPaymentSim(otel(collector, 'http/json', 'payment-sim'));
    receiver = await startReceiver();
    const port = await freePort();
    env = {
      ...database.env,
      ...otel(collector, 'http/json'),
      PORT: String(port),
      PAYMENT_PROVIDER_URL: sim.url,
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    server = await startServer(env);
    http = httpClient(`http://127.0.0.1:${port}`);
  });

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await sim?.stop();
    await receiver?.close();
    await collector?.close();
    await database?.drop();
  });

  it('holds the POST, every saga step, the payment call, the simulator and the webhook attempt, and the receiver joins it', async () => {
    const shop = await openShop(http, receiver);
    const { traceId, orderId, webhook } = await placeTracedOrder(http, receiver, shop);

    const spans = await eventually('the order’s spans at the collector', async () => {
      const found = collector.spans().filter((s) => s.traceId === traceId);
      // Each process sends its spans in batches of its own: wait for the simulator's too.
      return found.some((s) => s.name.startsWith('webhook deliver')) && found.some((s) => s.service === 'payment-sim') ? found : null;
    });
    const post = spans.find((s) => s.name === 'POST /v1/orders' && s.kind === SERVER);
    expect(post?.service).toBe('orderly');
    expect(post?.parentSpanId).toBe('');
    // Each consumer group that took part handled its messages in this trace.
    const groups = new Set(spans.filter((s) => s.kind === CONSUMER).map((s) => s.attributes['messaging.consumer.group.name']));
    for (const group of ['payments', 'orders', 'shipping', 'webhooks']) expect(groups, group).toContain(group);
    const steps = spans.filter((s) => s.kind === CONSUMER && s.attributes['messaging.consumer.group.name'] === 'orders');
    expect(steps.length).toBeGreaterThanOrEqual(2); // paid, and the shipment created at least
    // The stock steps ran in the saga's own transactions: the hold under the POST, the sale under the payment's answer.
    const hold = spans.find((s) => s.name === 'inventory.reserve inline');
    expect(hold?.parentSpanId).toBe(post!.spanId);
    const sale = spans.find((s) => s.name === 'inventory.commit inline');
    expect(steps.map((s) => s.spanId)).toContain(sale?.parentSpanId);
    // The payment call is a client span; the simulator continued it in a span of its own.
    const charge = spans.find((s) => s.kind === CLIENT && s.name === 'payments POST /v1/charges');
    expect(charge).toBeDefined();
    const simulated = spans.find((s) => s.service === 'payment-sim' && s.name === 'POST /v1/charges');
    expect(simulated?.parentSpanId).toBe(charge!.spanId);
    // The delivery attempt is a client span, and the merchant received its traceparent beside the signature headers.
    const attempt = spans.find((s) => s.kind === CLIENT && s.name === 'webhook deliver order.confirmed');
    expect(attempt?.attributes['orderly.webhook.attempt']).toBe(1);
    expect(webhook.headers['webhook-signature']).toBeTruthy();
    expect(webhook.headers.traceparent).toBe(`00-${traceId}-${attempt!.spanId}-01`);
    // Every span of the trace hangs from another of its spans, back to the POST.
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans.filter((x) => x !== post)) expect(ids.has(s.parentSpanId), `${s.name} has its parent in the trace`).toBe(true);

    // Log lines written while handling the order carry its trace: the access line, the saga's steps, the simulator's charge.
    const logs = jsonLines(server);
    const access = logs.find((l) => l.msg === 'request completed' && l.route === '/v1/orders' && l.method === 'POST');
    expect(access?.traceId).toBe(traceId);
    const sagaLines = logs.filter((l) => l.msg === 'saga step' && l.orderId === orderId);
    expect(sagaLines.length).toBeGreaterThanOrEqual(3);
    for (const line of sagaLines) {
      expect(line.traceId).toBe(traceId);
      expect(line.step).toEqual(expect.any(String));
      expect(line.attempt).toEqual(expect.any(Number));
    }
    expect(logs.find((l) => l.msg === 'payment succeeded' && l.orderId === orderId)?.traceId).toBe(traceId);
    expect(jsonLines(sim.process).find((l) => l.msg === 'charge' && l.reference === orderId)?.traceId).toBe(traceId);

    // `orderly trace` tells the order's story from the database, with the trace id to look up.
    const cli = runOrderly(['trace', orderId], env);
    expect(await cli.exited).toBe(0);
    const story = cli.lines.join('\n');
    expect(story).toContain(`order ${orderId}  confirmed`);
    expect(story).toContain(`trace id ${traceId}`);
    expect(story).toMatch(/payment attempts\n\s+\+[\d.]+s\s+charge succeeded/);
    expect(story).toMatch(/order\.confirmed\s+.*webhooks \+/);
    expect(story).toMatch(/webhook attempts\n\s+\+[\d.]+s\s+order\.confirmed\s+\S+ attempt 1: succeeded 200/);
  });

  it('continues a trace the caller started, and answers with a traceparent of its own in it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const res = await http.get('/v1/products', { headers: { traceparent: `00-${traceId}-${parent}-01` } });
    expect(res.status).toBe(200);
    const answered = String(res.headers.get('traceparent')).split('-');
    expect(answered[1]).toBe(traceId);
    expect(answered[2]).not.toBe(parent);
    const span = await eventually('the request’s span', async () =>
      collector.spans().find((s: CollectedSpan) => s.traceId === traceId && s.kind === SERVER),
    );
    expect(span.parentSpanId).toBe(parent);
    expect(span.spanId).toBe(answered[2]);
    expect(span.name).toBe('GET /v1/products');
  });
});

// Apart, an order's trace crosses processes: the api's POST, the workers' steps and the delivery, through NATS.
const apart = databaseKinds.includes('postgres') && testNatsUrl ? ['nats'] : [];

describe.each(apart)('one trace per order with api and worker apart, on PostgreSQL + %s', () => {
  it('joins the api’s spans (sent as protobuf) and the worker’s (sent as JSON) under one trace id', async () => {
    const database = await createTestDatabase('nats');
    const collector = await startOtlpCollector();
    const receiver = await startReceiver();
    const processes: OrderlyProcess[] = [];
    try {
      const base = {
        ...database.env,
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
        ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
      };
      const apiPort = await freePort();
      processes.push(
        await startServer({ ...base, ...otel(collector, 'http/protobuf', 'orderly-api'), ORDERLY_ROLE: 'api', PORT: String(apiPort) }),
      );
      processes.push(
        await startServer({
          ...base,
          ...otel(collector, 'http/json', 'orderly-worker'),
          ORDERLY_ROLE: 'worker',
          PORT: String(await freePort()),
        }),
      );
      const http = httpClient(`http://127.0.0.1:${apiPort}`);
      const shop = await openShop(http, receiver);
      const { traceId, webhook } = await placeTracedOrder(http, receiver, shop);

      const spans = await eventually('the worker’s spans', async () => {
        const found = collector.spans().filter((s) => s.traceId === traceId);
        return found.some((s) => s.name === 'webhook deliver order.confirmed') ? found : null;
      });
      expect(new Set(spans.map((s) => s.service))).toContain('orderly-worker');
      const groups = new Set(spans.filter((s) => s.kind === CONSUMER).map((s) => s.attributes['messaging.consumer.group.name']));
      for (const group of ['payments', 'orders', 'webhooks']) expect(groups, group).toContain(group);
      // The stock was sold by the worker, in the saga's transaction (it was held by the api, in the POST's: below).
      expect(spans.find((s) => s.name === 'inventory.commit inline')?.service).toBe('orderly-worker');
      expect(webhook.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
      // The api's spans arrive as OTLP protobuf: its POST span is there, under the same trace id (raw bytes on the wire).
      const protobuf = await eventually('the api’s protobuf export of the POST', async () =>
        collector.requests.find(
          (r) =>
            r.contentType === 'application/x-protobuf' &&
            r.body.includes(Buffer.from(traceId, 'hex')) &&
            r.body.includes('POST /v1/orders'),
        ),
      );
      expect(protobuf.body.includes('orderly-api')).toBe(true);
      expect(protobuf.body.includes('inventory.reserve inline')).toBe(true);
      // The first saga step, in the worker, is a child of a span the api process made.
      const workerSpanIds = new Set(spans.map((s) => s.spanId));
      const rootsInApi = spans.filter((s) => !workerSpanIds.has(s.parentSpanId));
      expect(rootsInApi.length).toBeGreaterThan(0);
      for (const s of rootsInApi) expect(protobuf.body.includes(Buffer.from(s.parentSpanId, 'hex')), s.name).toBe(true);
    } finally {
      for (const p of processes) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
      await receiver.close();
      await collector.close();
      await database.drop();
    }
  });
});
