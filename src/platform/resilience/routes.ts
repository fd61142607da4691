import { Type } from 'typebox';
import { requireAccess } from '../http/auth.js';
import { privateResponses } from '../http/caching.js';
import { problems } from '../http/schemas.js';
import type { HttpApp } from '../http/types.js';
import type { BreakerRegistry } from './registry.js';

/** A breaker's state, as every operations answer spells it. */
export const BreakerStateSchema = Type.Union([
  Type.Literal('closed'),
  Type.Literal('open'),
  Type.Literal('half_open'),
  Type.Literal('isolated'),
]);

const BreakerSchema = Type.Object({
  name: Type.String({ description: 'the outbound dependency, e.g. payments' }),
  state: BreakerStateSchema,
  since: Type.String({ format: 'date-time' }),
  probation: Type.Boolean({ description: 'closed after a successful probe, but one more failure reopens it' }),
  lastFailure: Type.Union([Type.String(), Type.Null()]),
  bulkhead: Type.Object({ executing: Type.Integer(), queued: Type.Integer() }),
});

export async function breakerRoutes(app: HttpApp, breakers: BreakerRegistry): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  app.get(
    '/admin/breakers',
    {
      schema: {
        tags: ['operations'],
        summary: 'Circuit breakers of outbound dependencies and their states',
        response: { 200: Type.Object({ items: Type.Array(BreakerSchema) }), ...problems(401, 403) },
      },
    },
    async () => ({ items: breakers.list() }),
  );
}
