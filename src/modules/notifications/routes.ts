import { Type } from 'typebox';
import { principalOf, requireAccess } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { PageQuery, decodeIdCursor, pageOf, paginate } from '../../platform/http/pagination.js';
import { problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import { auditActorOf } from '../../platform/audit/actor.js';
import type { NotificationService } from './service.js';
import type { Channel } from './store.js';

const Phone = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +14155550123' });
const PreferencesSchema = Type.Object({
  email: Type.Boolean(),
  sms: Type.Boolean(),
  push: Type.Boolean(),
  phone: Type.Union([Phone, Type.Null()], { description: 'where SMS go' }),
});
const PreferencesChange = Type.Object(
  {
    email: Type.Optional(Type.Boolean()),
    sms: Type.Optional(Type.Boolean()),
    push: Type.Optional(Type.Boolean()),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
  },
  { additionalProperties: false },
);
const ChannelSchema = Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('push')]);
const NotificationSchema = Type.Object({
  id: Type.String(),
  channel: ChannelSchema,
  template: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const SentSchema = Type.Object({
  id: Type.String(),
  notificationId: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
const FaultsSchema = Type.Object({ failNext: Type.Integer({ minimum: 0, maximum: 1_000_000 }), down: Type.Boolean() });
const SentQuery = Type.Object({ ...PageQuery, to: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })) });

/** One page of what an embedded provider was handed: the mailbox, or a sandbox. */
async function sentPage(
  service: NotificationService,
  channel: Channel,
  query: { limit: number; cursor?: string | undefined; to?: string | undefined },
) {
  const rows = await service.sent(channel, query.limit + 1, {
    ...(query.to === undefined ? {} : { to: query.to }),
    before: decodeIdCursor(query.cursor, 'snd'),
  });
  return paginate(rows, query.limit, (m) => m.id);
}

async function userRoutes(app: HttpApp, service: NotificationService): Promise<void> {
  requireAccess(app, 'user');
  const common = { tags: ['notifications'] };

  app.get(
    '/me/notification-preferences',
    {
      schema: { ...common, summary: 'How the caller wants to be notified', response: { 200: PreferencesSchema, ...problems(401) } },
    },
    async (request) => service.preferences(principalOf(request).userId),
  );

  app.put(
    '/me/notification-preferences',
    {
      schema: {
        ...common,
        summary: 'Turn channels on or off; SMS needs a phone number',
        body: PreferencesChange,
        response: { 200: PreferencesSchema, ...problems(400, 401) },
      },
    },
    async (request) => service.setPreferences(principalOf(request).userId, request.body),
  );

  app.get(
    '/notifications',
    {
      schema: {
        ...common,
        summary: "The caller's notifications, newest first",
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(NotificationSchema), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await service.list(principalOf(request).userId, limit + 1, decodeIdCursor(cursor, 'ntf'));
      return paginate(rows, limit, (n) => n.id);
    },
  );
}

async function adminRoutes(app: HttpApp, service: NotificationService): Promise<void> {
  requireAccess(app, 'admin');
  const common = { tags: ['notifications'] };

  app.get(
    '/admin/mailbox',
    {
      schema: {
        ...common,
        summary: 'Emails held by the embedded mail transport, newest first',
        querystring: SentQuery,
        response: { 200: pageOf(SentSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => sentPage(service, 'email', { ...request.query, to: request.query.to?.trim().toLowerCase() }),
  );

  app.get(
    '/admin/sandbox/:channel',
    {
      schema: {
        ...common,
        summary: 'What the sandbox provider of a channel was sent, newest first',
        params: Type.Object({ channel: ChannelSchema }),
        querystring: SentQuery,
        response: { 200: pageOf(SentSchema), ...problems(400, 401, 403) },
      },
    },
    async (request) => sentPage(service, request.params.channel, request.query),
  );

  app.get(
    '/admin/sandbox/:channel/faults',
    {
      schema: {
        ...common,
        summary: "A sandbox provider's fault switches as the answering process holds them",
        params: Type.Object({ channel: ChannelSchema }),
        response: { 200: FaultsSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const faults = service.faults(request.params.channel);
      if (faults === null)
        throw platformErrors.error('not_found', `The ${request.params.channel} channel uses a real provider, not a sandbox`);
      return faults;
    },
  );

  app.put(
    '/admin/sandbox/:channel/faults',
    {
      schema: {
        ...common,
        summary: 'Make a sandbox provider fail its next sends, or every send while down',
        params: Type.Object({ channel: ChannelSchema }),
        body: Type.Partial(FaultsSchema, { additionalProperties: false }),
        response: { 200: FaultsSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const faults = await service.setFaults(request.params.channel, request.body, auditActorOf(request));
      if (faults === null)
        throw platformErrors.error('not_found', `The ${request.params.channel} channel uses a real provider, not a sandbox`);
      return faults;
    },
  );
}

export async function notificationRoutes(app: HttpApp, service: NotificationService): Promise<void> {
  privateResponses(app);
  await app.register(async (scope) => userRoutes(scope, service));
  await app.register(async (scope) => adminRoutes(scope, service));
}
