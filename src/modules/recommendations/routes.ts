import { Type, type TSchema } from 'typebox';
import { isId } from '../../platform/db/ids.js';
import { representationOf, sendRepresentation, representationOfJson } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { IdParams, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import type { RecommendationService } from './service.js';

const RECOMMENDATIONS_CACHE = 'public, max-age=300, s-maxage=600';
const EMPTY = representationOf({ items: [] });

export async function recommendationRoutes(app: HttpApp, service: RecommendationService, productSchema: TSchema): Promise<void> {
  app.get(
    '/products/:id/recommendations',
    {
      config: { auth: 'public', priority: 'recommendations' },
      schema: {
        tags: ['catalog'],
        summary:
          'Products often bought together with this one. Empty, never an error, when the recommender is slow or failing (then x-degraded: recommendations and no-store).',
        params: IdParams,
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 20, default: 10 }) }),
        response: { 200: Type.Object({ items: Type.Array(productSchema) }), 304: Type.Null(), ...problems(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isId(id, 'prd')) throw platformErrors.error('not_found', `No product ${id}`);
      const result = await service.boughtTogether(id, request.query.limit);
      if (!result.ok) {
        request.log.warn({ productId: id, reason: result.reason }, 'recommendations degraded to an empty list');
        // The page hides the section; no cache may keep this answer.
        return sendRepresentation(request, reply.header('x-degraded', 'recommendations'), EMPTY, 'no-store');
      }
      const body = `{"items":[${result.itemsJson.join(',')}]}`;
      return sendRepresentation(request, reply, representationOfJson(body), RECOMMENDATIONS_CACHE);
    },
  );
}
