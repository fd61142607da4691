import { Type } from 'typebox';
import type { Executor } from '../db/database.js';
import { requireAccess } from '../http/auth.js';
import { privateResponses } from '../http/caching.js';
import { PageQuery, decodeIdCursor, pageOf, paginate } from '../http/pagination.js';
import { problems } from '../http/schemas.js';
import type { HttpApp } from '../http/types.js';
import { createAuditStore } from './store.js';

const AuditRecordSchema = Type.Object({
  id: Type.String(),
  actor: Type.String({ description: 'the admin user id, or `system` for what the process did on its own' }),
  action: Type.String({ description: 'e.g. product.updated, variant.price_changed, stock.adjusted, webhook_endpoint.secret_rotated' }),
  subject: Type.String({ description: 'the id (or SKU) of what was acted on' }),
  before: Type.Optional(Type.Unknown({ description: 'what the action changed, as it was (never a secret)' })),
  after: Type.Optional(Type.Unknown({ description: 'what the action changed, as it became (never a secret)' })),
  address: Type.Union([Type.String(), Type.Null()], { description: "the client's address; null for `system`" }),
  at: Type.String({ format: 'date-time' }),
});

const Filter = Type.Optional(Type.String({ minLength: 1, maxLength: 200 }));

/** The audit log for admins: read-only over HTTP; records are written only in the transactions of the actions. */
export async function auditRoutes(app: HttpApp, executor: Executor): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  const store = createAuditStore(executor);

  app.get(
    '/admin/audit',
    {
      schema: {
        tags: ['operations'],
        summary: 'Admin actions, newest first: who, what, on what, from where, before and after',
        querystring: Type.Object({ ...PageQuery, actor: Filter, action: Filter, subject: Filter }),
        response: { 200: pageOf(AuditRecordSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor, actor, action, subject } = request.query;
      const before = decodeIdCursor(cursor, 'aud');
      const rows = await store.list({
        limit: limit + 1,
        ...(actor === undefined ? {} : { actor }),
        ...(action === undefined ? {} : { action }),
        ...(subject === undefined ? {} : { subject }),
        ...(before === undefined ? {} : { before }),
      });
      return paginate(rows, limit, (r) => r.id);
    },
  );
}
