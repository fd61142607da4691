import { Type } from 'typebox';
import type { Executor } from '../db/database.js';
import { requireAccess } from '../http/auth.js';
import { privateResponses } from '../http/caching.js';
import { platformErrors } from '../http/errors.js';
import { PageQuery, decodeCursor, encodeCursor, pageOf } from '../http/pagination.js';
import { problems } from '../http/schemas.js';
import type { HttpApp } from '../http/types.js';
import { answerWithin, effect } from '../idempotency/effects.js';
import { auditActorOf } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import type { DeadLetterStore } from './transport.js';

const DeadLetterSchema = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  type: Type.String(),
  key: Type.String(),
  group: Type.String({ description: 'the consumer group that could not handle it' }),
  attempts: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Type.String({ format: 'date-time' }),
  deadAt: Type.String({ format: 'date-time' }),
  data: Type.Unknown(),
});

/** Operators' view of messages that exhausted their retries, and the way to send them again. */
export async function deadLetterRoutes(app: HttpApp, store: DeadLetterStore): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  const common = { tags: ['operations'], security: [{ bearer: [] }] };

  app.get(
    '/admin/dlq',
    {
      schema: {
        ...common,
        summary: 'Dead letters, newest first',
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(DeadLetterSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const before = decodeCursor(cursor, (key) => /^[A-Za-z0-9_]{1,64}$/.test(key));
      const rows = await store.list(limit + 1, before);
      const items = rows.slice(0, limit);
      return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },
  );

  app.post(
    '/admin/dlq/:id/redrive',
    {
      config: { effect: effect<{ id: string; status: 'redriven' }>('messaging.redrive', 202) },
      schema: {
        ...common,
        summary: 'Send a dead letter to its consumer group again, with a fresh retry budget',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 202: Type.Object({ id: Type.String(), status: Type.Literal('redriven') }), ...problems(401, 403, 404) },
      },
    },
    async (request) => {
      const redriven = { id: request.params.id, status: 'redriven' as const };
      const actor = auditActorOf(request);
      const audited = async (tx: Executor) => {
        await recordAudit(tx, {
          actor,
          action: 'dlq.redriven',
          subject: redriven.id,
          before: { status: 'dead' },
          after: { status: 'redriven' },
        });
        await answerWithin(tx, redriven);
      };
      if (!(await store.redrive(request.params.id, audited)))
        throw platformErrors.error('not_found', `No dead letter ${request.params.id}`);
      return redriven;
    },
  );
}
