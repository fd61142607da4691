import { Type } from 'typebox';
import { principalOf, requireAccess } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { effect } from '../../platform/idempotency/effects.js';
import { MoneySchema, NoContent, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_LINE_QUANTITY, type Cart, type CartService } from './service.js';

const CartSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      variantId: Type.String(),
      sku: Type.String(),
      title: Type.String(),
      quantity: Type.Integer(),
      unitPrice: MoneySchema,
      purchasable: Type.Boolean({ description: 'false once the product is archived' }),
    }),
  ),
  subtotal: MoneySchema,
  version: Type.Integer({ description: 'changes on every write; also the ETag, usable in If-Match' }),
});

const VariantParams = Type.Object({ variantId: Type.String({ minLength: 1, maxLength: 64 }) });
const IfMatch = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 100, description: 'the cart ETag ("<version>"): write only if unchanged' })),
});
const cartErrorsDoc = problems(400, 401, 404, 409, 412);

/** If-Match carries the version the client last saw, as the ETag `"<version>"`. */
function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match)
    throw platformErrors.error('validation_failed', 'If-Match must be the cart ETag, e.g. "3"', {
      errors: [{ field: 'headers.if-match', message: 'is not a cart ETag' }],
    });
  return Number(match[1]);
}

function sendCart(reply: FastifyReply, cart: Cart) {
  return reply.header('etag', `"${cart.version}"`).send(cart);
}

export async function cartRoutes(app: HttpApp, service: CartService): Promise<void> {
  requireAccess(app, 'user');
  privateResponses(app);
  const common = { tags: ['cart'], security: [{ bearer: [] }] };

  app.get(
    '/cart',
    {
      schema: { ...common, summary: "The caller's cart (empty if none)", response: { 200: CartSchema, ...problems(401) } },
    },
    async (request, reply) => sendCart(reply, await service.get(principalOf(request).userId)),
  );

  app.post(
    '/cart/items',
    {
      config: { effect: effect<Cart>('cart.add', 200, (cart) => ({ etag: `"${cart.version}"` })) },
      schema: {
        ...common,
        summary: 'Add units of a variant to the cart',
        headers: IfMatch,
        body: Type.Object({
          variantId: Type.String({ minLength: 1, maxLength: 64 }),
          quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
        }),
        response: { 200: CartSchema, ...cartErrorsDoc },
      },
    },
    async (request) =>
      service.addItem(principalOf(request).userId, request.body.variantId, request.body.quantity, expectedVersion(request)),
  );

  app.put(
    '/cart/items/:variantId',
    {
      schema: {
        ...common,
        summary: 'Set the quantity of a line; 0 removes it',
        headers: IfMatch,
        params: VariantParams,
        body: Type.Object({ quantity: Type.Integer({ minimum: 0, maximum: MAX_LINE_QUANTITY }) }),
        response: { 200: CartSchema, ...cartErrorsDoc },
      },
    },
    async (request, reply) =>
      sendCart(
        reply,
        await service.setQuantity(principalOf(request).userId, request.params.variantId, request.body.quantity, expectedVersion(request)),
      ),
  );

  app.delete(
    '/cart/items/:variantId',
    {
      schema: {
        ...common,
        summary: 'Remove a line',
        headers: IfMatch,
        params: VariantParams,
        response: { 200: CartSchema, ...problems(400, 401, 412) },
      },
    },
    async (request, reply) =>
      sendCart(reply, await service.removeItem(principalOf(request).userId, request.params.variantId, expectedVersion(request))),
  );

  app.delete(
    '/cart',
    {
      schema: { ...common, summary: 'Empty the cart', headers: IfMatch, response: { 204: NoContent, ...problems(400, 401, 412) } },
    },
    async (request, reply) => {
      await service.clear(principalOf(request).userId, expectedVersion(request));
      return reply.status(204).send(null);
    },
  );
}
