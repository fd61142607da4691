import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { startReceiver, type Receiver } from './receiver.js';
import { placeOrder, waitForShipment } from './orders.js';

/** One operation of the live OpenAPI document, with the access it declares. */
export interface Operation {
  method: string;
  /** The document's path template: `/v1/orders/{id}`. */
  path: string;
  access: 'public' | 'user' | 'owner' | 'admin';
  parameters: { name: string; in: string; required?: boolean; schema?: any }[];
  body: any | null;
  /** `GET /v1/orders/{id}`: how tests name an operation. */
  name: string;
}

export async function liveOperations(app: TestApp): Promise<Operation[]> {
  const doc = (await app.http.get('/openapi.json')).body;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      const upper = method.toUpperCase();
      operations.push({
        method: upper,
        path,
        access: op['x-access'],
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        name: `${upper} ${path}`,
      });
    }
  }
  return operations;
}

export interface Caller {
  token: string;
  id: string;
  email: string;
}

/** A small shop with one of everything, so every path parameter can name something real. */
export interface Shop {
  owner: Caller;
  other: Caller;
  productId: string;
  variantId: string;
  sku: string;
  orderId: string;
  shipmentId: string;
  endpointId: string;
  messageId: string;
  /** One of the owner's sessions, besides the one its token belongs to: what DELETE /v1/me/sessions/{id} ends. */
  sessionId: string;
  receiver: Receiver;
}

/** Builds the shop; the app must allow webhooks to loopback (ORDERLY_WEBHOOK_ALLOW_PRIVATE=true). */
export async function openShop(app: TestApp): Promise<Shop> {
  const receiver = await startReceiver();
  const admin = { token: app.adminToken };
  const endpoint = await app.http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['*'] }, admin);
  expect(endpoint.status).toBe(201);
  const product = await app.product();
  const variant = product.variants[0];
  const owner = await app.customer();
  const other = await app.customer();
  const order = await placeOrder(app, owner.token, { items: [{ variantId: variant.id, quantity: 1 }] });
  expect(order.status, order.text).toBe(202);
  const shipped = await waitForShipment(app, owner.token, order.body.id);
  let messageId = '';
  const deadline = Date.now() + 20_000;
  while (messageId === '' && Date.now() < deadline) {
    const deliveries = await app.http.get(`/v1/webhooks/endpoints/${endpoint.body.id}/deliveries`, admin);
    messageId = deliveries.body.items?.[0]?.messageId ?? '';
    if (messageId === '') await new Promise((r) => setTimeout(r, 50));
  }
  expect(messageId, 'no webhook delivery was recorded').not.toBe('');
  return {
    sessionId: await spareSession(app, owner.email),
    owner,
    other,
    productId: product.id,
    variantId: variant.id,
    sku: variant.sku,
    orderId: order.body.id,
    shipmentId: shipped.shipment.id,
    endpointId: endpoint.body.id,
    messageId,
    receiver,
  };
}

/** Signs in once more and returns that session's id, for a test to end. */
export async function spareSession(app: TestApp, email: string): Promise<string> {
  const login = await app.http.post('/v1/auth/login', { email, password: PASSWORD });
  expect(login.status, login.text).toBe(200);
  const sessions = await app.http.get('/v1/me/sessions', { token: login.body.token });
  expect(sessions.status, sessions.text).toBe(200);
  return sessions.body.items.find((s: { current: boolean }) => s.current).id;
}

/**
 * After an operation on sessions (a logout, a password change, a session ended), signs the shop's customers
 * in again, and makes a spare session: the next operation must not meet tokens the last one revoked.
 */
export async function renewSessions(app: TestApp, shop: Shop): Promise<void> {
  for (const caller of [shop.owner, shop.other]) {
    const login = await app.http.post('/v1/auth/login', { email: caller.email, password: PASSWORD });
    expect(login.status, login.text).toBe(200);
    caller.token = login.body.token;
  }
  shop.sessionId = await spareSession(app, shop.owner.email);
}

/** The value a path parameter takes to name the shop's own thing of that kind. */
export function pathValue(shop: Shop, path: string, parameter: string): string {
  if (parameter === 'sku') return shop.sku;
  if (parameter === 'variantId') return shop.variantId;
  if (parameter === 'messageId') return shop.messageId;
  if (parameter === 'channel') return 'sms';
  if (path.startsWith('/v1/products/')) return shop.productId;
  if (path.startsWith('/v1/orders/')) return shop.orderId;
  if (path.startsWith('/v1/shipments/')) return shop.shipmentId;
  if (path.startsWith('/v1/webhooks/endpoints/')) return shop.endpointId;
  if (path.startsWith('/v1/admin/dlq/')) return 'dlq_none';
  if (path.startsWith('/v1/admin/orders/')) return shop.orderId;
  if (path.startsWith('/v1/me/sessions/')) return shop.sessionId;
  throw new Error(`no fixture for {${parameter}} in ${path}: add one to tests/support/api-surface.ts`);
}

export function concretePath(shop: Shop, operation: Operation): string {
  return operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathValue(shop, operation.path, name)));
}

/** The password of the shop's customers (TestApp.customer). */
export const PASSWORD = 'correct-horse-1';

/** A valid body for every operation that takes one, sent by a caller whose password is `password`. */
export const validBodies: Record<string, (shop: Shop, password: string) => unknown> = {
  'POST /v1/auth/signup': () => ({ email: `matrix-${randomBytes(5).toString('hex')}@orderly.test`, password: PASSWORD, name: 'M' }),
  'POST /v1/auth/login': (shop) => ({ email: shop.owner.email, password: PASSWORD }),
  'POST /v1/products': () => ({
    title: 'Matrix mug',
    category: 'kitchen',
    variants: [{ sku: `MX-${randomBytes(5).toString('hex')}`, price: { amount: 900, currency: 'USD' }, stock: 3 }],
  }),
  'PATCH /v1/products/{id}': () => ({ description: 'Checked by the authorization matrix' }),
  'POST /v1/inventory/{sku}/adjustments': () => ({ delta: 1, reason: 'authorization matrix' }),
  'POST /v1/cart/items': (shop) => ({ variantId: shop.variantId, quantity: 1 }),
  'PUT /v1/cart/items/{variantId}': () => ({ quantity: 2 }),
  'POST /v1/orders': (shop) => ({
    items: [{ variantId: shop.variantId, quantity: 1 }],
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' },
    paymentToken: 'tok_visa',
  }),
  'POST /v1/shipments/{id}/status': () => ({ status: 'in_transit' }),
  'PUT /v1/me/notification-preferences': () => ({ email: true }),
  // The caller's own password again: the change (and its ending of the other sessions) happens, and sign-ins still work.
  'POST /v1/me/password': (_shop, password) => ({ currentPassword: password, newPassword: password }),
  'PUT /v1/admin/sandbox/{channel}/faults': () => ({ failNext: 0 }),
  'POST /v1/webhooks/endpoints': (shop) => ({ url: shop.receiver.url, events: ['order.created'] }),
  'PATCH /v1/webhooks/endpoints/{id}': () => ({ description: 'checked by the authorization matrix' }),
  // A group no consumer has: the redrive is made (and audited) and finds nothing to send again.
  'POST /v1/admin/dlq/redrive': () => ({ group: 'authorization.matrix' }),
};
