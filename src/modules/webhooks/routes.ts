import { Type } from 'typebox';
import { requireAccess } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { PageQuery, decodeIdCursor, pageOf, paginate } from '../../platform/http/pagination.js';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import { effect } from '../../platform/idempotency/effects.js';
import { auditActorOf } from '../../platform/audit/actor.js';
import { eventCatalog, type PublicEvents } from './event-types.js';
import type { Endpoint, WebhookService } from './service.js';

const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'http(s) URL that receives POSTs' });
const Description = Type.String({ maxLength: 500 });
const EndpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  disabled: Type.Boolean(),
  disabledReason: Type.Union([Type.Literal('gone'), Type.Literal('failing'), Type.Literal('manual'), Type.Null()], {
    description: 'why it is disabled: a 410, days of failure, or an admin',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const HealthSchema = Type.Object(
  {
    attempts: Type.Integer(),
    succeeded: Type.Integer(),
    successRatio: Type.Union([Type.Number(), Type.Null()]),
    p50Ms: Type.Union([Type.Integer(), Type.Null()]),
    p99Ms: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    lastAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { description: 'delivery attempts over the last 24 h: counts, success ratio, duration percentiles, the last error and attempt' },
);
const EndpointWithHealth = Type.Object({ ...EndpointSchema.properties, health: HealthSchema });
const WithSecret = Type.Intersect([EndpointSchema, Type.Object({ secret: Type.String({ description: 'whsec_…; shown only here' }) })]);
const AttemptSchema = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  eventType: Type.String(),
  attempt: Type.Integer(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  responseStatus: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
  requestHeaders: Type.Record(Type.String(), Type.String(), {
    description:
      'the headers sent (webhook-id, webhook-timestamp, webhook-signature, content-type, user-agent, …); empty when none went out',
  }),
  responseBody: Type.Union([Type.String(), Type.Null()], { description: "the start of the receiver's answer, at most 1 KiB" }),
});

export async function webhookRoutes(app: HttpApp, service: WebhookService, events: PublicEvents): Promise<void> {
  const Events = Type.Array(Type.Union([...events.map((e) => e.type), '*'].map((t) => Type.Literal(t))), {
    minItems: 1,
    maxItems: 50,
    description: 'event types, or ["*"] for all',
  });

  requireAccess(app, 'admin');
  privateResponses(app);
  const common = { tags: ['webhooks'] };

  const catalog = eventCatalog(events);
  app.get(
    '/webhooks/event-types',
    {
      schema: {
        ...common,
        summary: 'Every event a merchant can subscribe to, with its version, what it means and the JSON Schema of its data',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                type: Type.String(),
                version: Type.Integer(),
                description: Type.String(),
                schema: Type.Unknown({ description: 'JSON Schema of the event data' }),
              }),
            ),
          }),
          ...problems(401, 403),
        },
      },
    },
    async () => ({ items: catalog }),
  );

  app.post(
    '/webhooks/endpoints',
    {
      config: {
        effect: effect<Endpoint & { secret: string }>('webhooks.create', 201, (e) => ({ location: `/v1/webhooks/endpoints/${e.id}` })),
      },
      schema: {
        ...common,
        summary: 'Register an endpoint; its signing secret is shown once',
        body: Type.Object({ url: Url, events: Events, description: Type.Optional(Description) }, { additionalProperties: false }),
        response: { 201: WithSecret, ...problems(400, 401, 403) },
      },
    },
    async (request) => service.create(request.body, auditActorOf(request)),
  );

  app.get(
    '/webhooks/endpoints',
    {
      schema: {
        ...common,
        summary: 'Endpoints, oldest first, each with its health over the last 24 h',
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(EndpointWithHealth), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return paginate(await service.list(limit + 1, decodeIdCursor(cursor, 'whe')), limit, (e) => e.id);
    },
  );

  app.get(
    '/webhooks/endpoints/:id',
    {
      schema: {
        ...common,
        summary: 'One endpoint, with its health over the last 24 h',
        params: IdParams,
        response: { 200: EndpointWithHealth, ...problems(401, 403, 404) },
      },
    },
    async (request) => service.get(request.params.id),
  );

  app.patch(
    '/webhooks/endpoints/:id',
    {
      schema: {
        ...common,
        summary: 'Change an endpoint; `disabled: false` re-enables it and its waiting deliveries go out',
        params: IdParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Events),
            description: Type.Optional(Description),
            disabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: EndpointSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => service.update(request.params.id, request.body, auditActorOf(request)),
  );

  app.delete(
    '/webhooks/endpoints/:id',
    {
      schema: {
        ...common,
        summary: 'Remove an endpoint and what waits for it',
        params: IdParams,
        response: { 204: NoContent, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.remove(request.params.id, auditActorOf(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/webhooks/endpoints/:id/rotate-secret',
    {
      config: { effect: effect<Endpoint & { secret: string }>('webhooks.rotate-secret', 200) },
      schema: {
        ...common,
        summary: 'A new signing secret; the old one keeps signing alongside it for 24 h',
        params: IdParams,
        response: { 200: WithSecret, ...problems(401, 403, 404) },
      },
    },
    async (request) => service.rotateSecret(request.params.id, auditActorOf(request)),
  );

  app.post(
    '/webhooks/endpoints/:id/test',
    {
      config: { effect: effect<{ messageId: string }>('webhooks.test', 202) },
      schema: {
        ...common,
        summary:
          'Send a signed webhook.test event to this endpoint alone (whatever it subscribes to), through the normal delivery path; 409 if disabled',
        params: IdParams,
        response: { 202: Type.Object({ messageId: Type.String() }), ...problems(401, 403, 404, 409) },
      },
    },
    async (request) => service.sendTest(request.params.id, auditActorOf(request)),
  );

  app.get(
    '/webhooks/endpoints/:id/deliveries',
    {
      schema: {
        ...common,
        summary: 'Delivery attempts to this endpoint, newest first',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(AttemptSchema), ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return paginate(await service.attempts(request.params.id, limit + 1, decodeIdCursor(cursor, 'wha')), limit, (a) => a.id);
    },
  );

  app.post(
    '/webhooks/messages/:messageId/replay',
    {
      config: { effect: effect<{ messageId: string; deliveries: number }>('webhooks.replay', 202) },
      schema: {
        ...common,
        summary: 'Send a message again to the enabled endpoints it went to',
        params: Type.Object({ messageId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 202: Type.Object({ messageId: Type.String(), deliveries: Type.Integer() }), ...problems(401, 403, 404) },
      },
    },
    async (request) => service.replay(request.params.messageId, auditActorOf(request)),
  );
}
