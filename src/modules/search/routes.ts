import { Type, type TSchema } from 'typebox';
import { sendRepresentation, representationOfJson } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import type { SearchService } from './service.js';

const SEARCH_CACHE = 'public, max-age=30, s-maxage=60, stale-while-revalidate=30';

const invalid = (field: string, message: string) =>
  platformErrors.error('validation_failed', `${field} ${message}`, { errors: [{ field: `querystring.${field}`, message }] });

const Counts = Type.Record(Type.String(), Type.Integer());

export async function searchRoutes(app: HttpApp, service: SearchService, productSchema: TSchema): Promise<void> {
  app.get(
    '/search',
    {
      config: { auth: 'public', priority: 'browse', rateLimit: ['search'] },
      schema: {
        tags: ['catalog'],
        summary:
          'Full-text product search, best match first (an exact title first); the last word matches as a prefix. Eventually consistent with the catalog.',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 200 })),
          category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          minPrice: Type.Optional(Type.Integer({ minimum: 0, description: 'lowest variant price, minor units' })),
          maxPrice: Type.Optional(Type.Integer({ minimum: 0, description: 'lowest variant price, minor units' })),
          attr: Type.Optional(
            Type.Array(Type.String({ pattern: '^[^:]{1,64}:.{1,500}$' }), {
              maxItems: 10,
              description: 'name:value, repeatable; all must hold',
            }),
          ),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(productSchema),
            facets: Type.Object({ category: Counts, attributes: Type.Record(Type.String(), Counts) }),
            exhaustive: Type.Boolean({
              description: 'false when more products matched than are ranked and counted (the newest ORDERLY_SEARCH_WINDOW matches)',
            }),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          304: Type.Null(),
          ...problems(400),
        },
      },
    },
    async (request, reply) => {
      const { q, category, minPrice, maxPrice, attr, limit, cursor } = request.query;
      if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) throw invalid('minPrice', 'must not exceed maxPrice');
      const attributes = (attr ?? []).map((pair) => {
        const at = pair.indexOf(':');
        return { name: pair.slice(0, at), value: pair.slice(at + 1) };
      });
      const page = await service.search({
        attributes,
        limit,
        ...(q === undefined ? {} : { q }),
        ...(category === undefined ? {} : { category }),
        ...(minPrice === undefined ? {} : { minPrice }),
        ...(maxPrice === undefined ? {} : { maxPrice }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (page === undefined) throw invalid('cursor', 'is not a cursor this search returned');
      // The products are sent as the index holds them, without parsing and serialising them again.
      const body = `{"items":[${page.itemsJson.join(',')}],"facets":${JSON.stringify(page.facets)},"exhaustive":${page.exhaustive},"nextCursor":${JSON.stringify(page.nextCursor)}}`;
      return sendRepresentation(request, reply, representationOfJson(body), SEARCH_CACHE);
    },
  );
}
