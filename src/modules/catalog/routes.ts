import { Type } from 'typebox';
import { PRIVATE_NO_STORE, representationOf, sendCacheable, sendRepresentation, type Representation } from '../../platform/http/caching.js';
import type { Cache } from '../../platform/cache/cache.js';
import { platformErrors } from '../../platform/http/errors.js';
import { PageQuery, decodeIdCursor, encodeCursor, pageOf } from '../../platform/http/pagination.js';
import { IdParams, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import { isId } from '../../platform/db/ids.js';
import { effect } from '../../platform/idempotency/effects.js';
import { auditActorOf } from '../../platform/audit/actor.js';
import { NewProductSchema, ProductPatchSchema, ProductSchema } from './schemas.js';
import { productEtag } from './products.js';
import type { CatalogService, Product } from './service.js';

const notFound = (id: string) => platformErrors.error('not_found', `No product ${id}`);

/** A product as served to the public, serialized once with its ETag. */
export type ProductRepresentation = Representation;

/** One product's public representation through the read cache; null when there is no such product. */
export function readProduct(
  service: CatalogService,
  productReads: Cache<ProductRepresentation>,
  id: string,
): Promise<ProductRepresentation | null> {
  return productReads.get(id, async () => {
    const product = await service.get(id);
    return product === null ? null : representationOf(product);
  });
}

export async function catalogRoutes(app: HttpApp, service: CatalogService, productReads: Cache<ProductRepresentation>): Promise<void> {
  const admin = { config: { auth: 'admin' as const } };
  const security = [{ bearer: [] }];

  app.post(
    '/products',
    {
      config: {
        auth: 'admin',
        effect: effect<Product>('catalog.create', 201, (product) => ({
          location: `/v1/products/${product.id}`,
          etag: productEtag(product),
          'cache-control': PRIVATE_NO_STORE,
        })),
      },
      schema: {
        tags: ['catalog'],
        summary: 'Create a product with its variants and initial stock',
        security,
        body: NewProductSchema,
        response: { 201: ProductSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request) => service.create(request.body, auditActorOf(request)),
  );

  app.get(
    '/products',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['catalog'],
        summary: 'Products, newest first',
        querystring: Type.Object({
          ...PageQuery,
          category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          status: Type.Union([Type.Literal('active'), Type.Literal('archived')], { default: 'active' }),
        }),
        response: { 200: pageOf(ProductSchema), 304: Type.Null(), ...problems(400) },
      },
    },
    async (request, reply) => {
      const { limit, cursor, category, status } = request.query;
      const before = decodeIdCursor(cursor, 'prd');
      const page = await service.list({
        limit,
        status,
        ...(category === undefined ? {} : { category }),
        ...(before === undefined ? {} : { before }),
      });
      return sendCacheable(request, reply, { items: page.items, nextCursor: page.lastId === null ? null : encodeCursor(page.lastId) });
    },
  );

  app.get(
    '/products/:id',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['catalog'],
        summary: 'One product; send If-None-Match with its ETag to get 304 when unchanged',
        params: IdParams,
        response: { 200: ProductSchema, 304: Type.Null(), ...problems(404) },
      },
    },
    (request, reply) => {
      const { id } = request.params;
      if (!isId(id, 'prd')) throw notFound(id);
      const respond = (representation: ProductRepresentation | null): void => {
        if (representation === null) throw notFound(id);
        sendRepresentation(request, reply, representation);
      };
      // Most reads find the product held in this process: answered then and there, without a promise.
      const held = productReads.peek(id);
      if (held !== undefined) return respond(held.value);
      // Unknown ids are cached too, so a flood of them costs one database read each per TTL.
      return readProduct(service, productReads, id).then(respond);
    },
  );

  app.patch(
    '/products/:id',
    {
      ...admin,
      schema: {
        tags: ['catalog'],
        summary: 'Change a product: title, description, category, attributes, status, variant prices. If-Match makes it conditional.',
        security,
        params: IdParams,
        body: ProductPatchSchema,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: ProductSchema, ...problems(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isId(id, 'prd')) throw notFound(id);
      const product = await service.update(id, request.body, auditActorOf(request), request.headers['if-match']);
      return reply.header('etag', productEtag(product)).header('cache-control', PRIVATE_NO_STORE).send(product);
    },
  );
}
