import { Type } from 'typebox';
import { requireAccess } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { effect } from '../../platform/idempotency/effects.js';
import { auditActorOf } from '../../platform/audit/actor.js';
import { PageQuery, decodeIdCursor, pageOf, paginate } from '../../platform/http/pagination.js';
import { problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import type { InventoryService, StockLevel } from './service.js';

export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const StockLevelSchema = Type.Object({ sku: Type.String(), available: Type.Integer(), reserved: Type.Integer(), sold: Type.Integer() });
const Delta = Type.Object({ available: Type.Integer(), reserved: Type.Integer(), sold: Type.Integer() });
const MovementSchema = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  kind: Type.Union([
    Type.Literal('received'),
    Type.Literal('adjusted'),
    Type.Literal('reserved'),
    Type.Literal('released'),
    Type.Literal('committed'),
    Type.Literal('restocked'),
  ]),
  delta: Delta,
  orderId: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
});
const SkuParams = Type.Object({ sku: Type.String({ pattern: SKU_PATTERN }) });

export async function inventoryRoutes(app: HttpApp, service: InventoryService): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  const security = [{ bearer: [] }];

  app.get(
    '/inventory/:sku',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock of one SKU',
        security,
        params: SkuParams,
        response: { 200: StockLevelSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const stock = await service.getStock(request.params.sku);
      if (stock === null) throw platformErrors.error('not_found', `No stock is kept for SKU ${request.params.sku}`);
      return stock;
    },
  );

  app.post(
    '/inventory/:sku/adjustments',
    {
      config: { effect: effect<StockLevel>('inventory.adjust', 200) },
      schema: {
        tags: ['inventory'],
        summary: 'Add (receiving, returns) or remove (damage, shrinkage) available stock',
        security,
        params: SkuParams,
        body: Type.Object({
          delta: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, not: { const: 0 }, description: 'non-zero; negative removes' }),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
        }),
        response: { 200: StockLevelSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service.adjust(request.params.sku, request.body.delta, request.body.reason, auditActorOf(request)),
  );

  app.get(
    '/inventory/:sku/movements',
    {
      schema: {
        tags: ['inventory'],
        summary: 'The movements ledger of one SKU, newest first',
        security,
        params: SkuParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(MovementSchema), ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      if ((await service.getStock(request.params.sku)) === null)
        throw platformErrors.error('not_found', `No stock is kept for SKU ${request.params.sku}`);
      const before = decodeIdCursor(cursor, 'mov');
      return paginate(await service.movements(request.params.sku, limit + 1, before), limit, (m) => m.id);
    },
  );
}
