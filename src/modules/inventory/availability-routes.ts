import { Type } from 'typebox';
import { problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import { SKU_PATTERN } from './routes.js';
import type { InventoryService } from './service.js';

// Stock moves with every order, so a shop page may show it a few seconds old but no older.
const AVAILABILITY_CACHE = 'public, max-age=5';

/** Public: how many of each SKU a shopper may still buy, so a product page can say "only 3 left" or "sold out". */
export async function availabilityRoutes(app: HttpApp, service: InventoryService): Promise<void> {
  app.get(
    '/stock',
    {
      config: { auth: 'public', priority: 'browse' },
      schema: {
        tags: ['inventory'],
        summary: 'Units available to buy per SKU (reserved and sold units excluded); unknown SKUs are left out',
        querystring: Type.Object({
          sku: Type.Array(Type.String({ pattern: SKU_PATTERN }), { minItems: 1, maxItems: 50, description: 'repeatable' }),
        }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ sku: Type.String(), available: Type.Integer({ minimum: 0 }) })) }),
          ...problems(400),
        },
      },
    },
    async (request, reply) => {
      const items = await service.availability([...new Set(request.query.sku)]);
      reply.header('cache-control', AVAILABILITY_CACHE);
      return { items };
    },
  );
}
