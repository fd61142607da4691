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
import type { DeadLetterFilter, DeadLetterStore } from './transport.js';

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

/** The most dead letters one bulk redrive puts back: a bounded transaction; what is left takes another call. */
export const REDRIVE_BATCH = 1_000;

const FilterName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: `${description} (exact match)` });

const DeadLetterFilterSchema = {
  group: Type.Optional(FilterName('only dead letters of this consumer group; webhook deliveries are in group webhooks')),
  type: Type.Optional(FilterName('only dead letters of this message type, e.g. order.confirmed')),
};

/** The filter as given, without keys left undefined (audited as it was asked). */
function filterOf(query: DeadLetterFilter): DeadLetterFilter {
  return {
    ...(query.group === undefined ? {} : { group: query.group }),
    ...(query.type === undefined ? {} : { type: query.type }),
  };
}

/**
 * Operators' view of messages that exhausted their retries, and the way to send them again. `db` runs a
 * bulk redrive's transaction: every source's dead letters, its audit record and its answer commit together.
 */
export async function deadLetterRoutes(app: HttpApp, store: DeadLetterStore, db: Executor): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  const common = { tags: ['operations'], security: [{ bearer: [] }] };

  app.get(
    '/admin/dlq',
    {
      schema: {
        ...common,
        summary: 'Dead letters, newest first, optionally of one consumer group and/or message type',
        querystring: Type.Object({ ...PageQuery, ...DeadLetterFilterSchema }),
        response: { 200: pageOf(DeadLetterSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const before = decodeCursor(cursor, (key) => /^[A-Za-z0-9_]{1,64}$/.test(key));
      const rows = await store.list(limit + 1, before, filterOf(request.query));
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

  app.post(
    '/admin/dlq/redrive',
    {
      config: { effect: effect<{ redriven: number }>('messaging.redrive_matching', 200) },
      schema: {
        ...common,
        summary: `Send every dead letter matching the filter (an empty object: all) to its consumer again, oldest first, at most ${REDRIVE_BATCH} per call`,
        description: `Answers how many were redriven; when that is ${REDRIVE_BATCH}, more may match: call again. Audited as one dlq.redriven_matching record with the filter and the count.`,
        // A key it does not know is refused rather than dropped: a misspelt filter would otherwise mean "all".
        body: Type.Object(DeadLetterFilterSchema, { additionalProperties: Type.Never() }),
        response: { 200: Type.Object({ redriven: Type.Integer({ minimum: 0 }) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const filter = filterOf(request.body);
      const actor = auditActorOf(request);
      const answer = await db.transaction().execute(async (tx) => {
        const redriven = { redriven: await store.redriveMatching(tx, filter, REDRIVE_BATCH) };
        await recordAudit(tx, { actor, action: 'dlq.redriven_matching', subject: 'dlq', after: { filter, ...redriven } });
        await answerWithin(tx, redriven);
        return redriven;
      });
      if (answer.redriven > 0) store.wake();
      return answer;
    },
  );
}
