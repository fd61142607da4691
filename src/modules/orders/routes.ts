import { Type } from 'typebox';
import { auditActorOf } from '../../platform/audit/actor.js';
import { principalOf } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { PageQuery, decodeIdCursor, encodeCursor, pageOf } from '../../platform/http/pagination.js';
import { IdParams, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import { isId } from '../../platform/db/ids.js';
import { effect } from '../../platform/idempotency/effects.js';
import { streamTimeline, type StreamOptions } from './events-stream.js';
import type { OrdersService } from './service.js';
import type { Order } from './view.js';
import { AddressSchema, OrderSchema, OrderStatusSchema as Status } from './schemas.js';

const notFound = (id: string) => platformErrors.error('not_found', `No order ${id}`);

const ListedOrderSchema = Type.Object({
  ...OrderSchema.properties,
  customerEmail: Type.Optional(Type.String({ description: "listed to admins: the customer's email" })),
});

/** A date-time of the query as stored (UTC ISO), so it compares with created_at as text. */
function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw platformErrors.error('validation_failed', `${field} is not a date-time`, {
      errors: [{ field: `querystring.${field}`, message: 'must be an ISO-8601 date-time' }],
    });
  return new Date(at).toISOString();
}

export async function ordersRoutes(
  app: HttpApp,
  service: OrdersService,
  streams: Set<() => void>,
  streamOptions: StreamOptions,
): Promise<void> {
  const common = { tags: ['orders'], security: [{ bearer: [] }] };
  const stream = streamTimeline(service, streams, streamOptions);
  privateResponses(app);

  app.post(
    '/orders',
    {
      config: {
        auth: 'user',
        idempotency: 'required',
        priority: 'checkout',
        rateLimit: ['checkout'],
        effect: effect<Order>('orders.place', 202, (order) => ({ location: `/v1/orders/${order.id}` })),
      },
      schema: {
        ...common,
        summary: 'Place an order from the given items, or from the cart (then emptied). The saga finishes asynchronously.',
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ description: 'required: 1–255 characters, unique per order attempt' })),
        }),
        body: Type.Object({
          items: Type.Optional(
            Type.Array(
              Type.Object({
                variantId: Type.String({ minLength: 1, maxLength: 64 }),
                quantity: Type.Integer({ minimum: 1, maximum: 100 }),
              }),
              { minItems: 1, maxItems: 50 },
            ),
          ),
          shippingAddress: AddressSchema,
          paymentToken: Type.String({
            pattern: '^tok_[A-Za-z0-9_]{1,64}$',
            description: 'sandbox: tok_visa succeeds; tok_declined, tok_insufficient_funds are declined',
          }),
        }),
        response: { 202: OrderSchema, ...problems(400, 401, 404, 409, 422, 503) },
      },
    },
    async (request) => service.place({ ...request.body, userId: principalOf(request).userId }),
  );

  app.get(
    '/orders',
    {
      config: { auth: 'user', priority: 'orders' },
      schema: {
        ...common,
        summary:
          "The caller's orders, newest first (admins: everyone's, each with customerEmail; narrowed by ?userId= or ?email=). " +
          'status, createdFrom (inclusive) and createdTo (exclusive) filter for everyone.',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(Status),
          userId: Type.Optional(Type.String({ maxLength: 64, description: 'admins only' })),
          email: Type.Optional(
            Type.String({ minLength: 1, maxLength: 254, description: "admins only: the customer's exact email, case-insensitive" }),
          ),
          createdFrom: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'placed at or after' })),
          createdTo: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'placed before' })),
        }),
        response: { 200: pageOf(ListedOrderSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor, status, userId, email, createdFrom, createdTo } = request.query;
      const principal = principalOf(request);
      if (email !== undefined && principal.role !== 'admin')
        throw platformErrors.error('forbidden', 'Only admins may list orders by customer email');
      const before = decodeIdCursor(cursor, 'ord');
      const from = instant(createdFrom, 'createdFrom');
      const to = instant(createdTo, 'createdTo');
      const page = await service.list(principal, {
        limit,
        ...(status ? { status } : {}),
        ...(userId ? { userId } : {}),
        ...(email !== undefined ? { email } : {}),
        ...(from ? { createdFrom: from } : {}),
        ...(to ? { createdTo: to } : {}),
        ...(before ? { before } : {}),
      });
      return { items: page.items, nextCursor: page.lastId === null ? null : encodeCursor(page.lastId) };
    },
  );

  app.get(
    '/orders/:id',
    {
      config: { auth: 'owner', priority: 'orders' },
      schema: {
        ...common,
        summary: 'One order (its owner or an admin; 404 for anyone else)',
        params: IdParams,
        response: { 200: OrderSchema, ...problems(401, 404) },
      },
    },
    async (request) => {
      const order = isId(request.params.id, 'ord') ? await service.get(principalOf(request), request.params.id) : null;
      if (!order) throw notFound(request.params.id);
      return order;
    },
  );

  app.post(
    '/orders/:id/cancel',
    {
      config: { auth: 'owner', priority: 'orders', effect: effect<Order>('orders.cancel', 202) },
      schema: {
        ...common,
        summary: 'Cancel before shipping: 202 while refund and restock run; 409 order_not_cancellable once shipped',
        params: IdParams,
        response: { 202: OrderSchema, ...problems(401, 404, 409) },
      },
    },
    async (request) => {
      if (!isId(request.params.id, 'ord')) throw notFound(request.params.id);
      return service.cancel(principalOf(request), request.params.id, auditActorOf(request));
    },
  );

  app.get(
    '/orders/:id/events',
    {
      config: { auth: 'owner', priority: 'orders', longLived: true },
      schema: {
        ...common,
        summary: 'The order timeline as a live text/event-stream: one `timeline` event per entry; ends after the final status',
        params: IdParams,
        produces: ['text/event-stream'],
        response: { ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      const order = isId(request.params.id, 'ord') ? await service.get(principalOf(request), request.params.id) : null;
      if (!order) throw notFound(request.params.id);
      await stream(request, reply, order.id, order.status);
    },
  );
}
