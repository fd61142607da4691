import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { HttpApp } from './types.js';
import type { ErrorCatalog } from './errors.js';
import { accessExtension } from './access.js';

function errorTable(catalog: ErrorCatalog): string {
  const rows = Object.entries(catalog)
    .sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b))
    .map(([code, spec]) => `| ${spec.status} | \`${code}\` | ${spec.title} |`);
  return ['| status | code | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The OpenAPI 3.1 document is generated from the same schemas the routes validate with. */
export async function registerOpenApi(app: HttpApp, options: { errorCatalog: ErrorCatalog; version: string }): Promise<void> {
  const errorCodes = Object.fromEntries(Object.entries(options.errorCatalog).map(([code, spec]) => [code, spec]));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Orderly API',
        version: options.version,
        description: [
          'A failure-first commerce backend. Every error is `application/problem+json` with a stable `code`:',
          '',
          errorTable(options.errorCatalog),
        ].join('\n'),
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [{ name: 'accounts' }, { name: 'catalog' }, { name: 'inventory' }, { name: 'cart' }, { name: 'operations' }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url, route }) => ({ schema: { ...schema, ...accessExtension(route) }, url }),
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      return { ...document, 'x-error-codes': errorCodes };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
