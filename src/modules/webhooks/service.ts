import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { DeadLetterStore } from '../../platform/messaging/transport.js';
import { webhookDeadLetters } from './dead-letters.js';
import { literalHostForbidden } from './address-guard.js';
import { webhookErrors } from './errors.js';
import { endpointHealth, type EndpointHealth } from './endpoint-health.js';
import { WEBHOOK_TEST } from './event-types.js';
import { currentTraceparent } from '../../platform/observability/tracing.js';
import { newSecret } from './signing.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import { sealEndpointSecrets, type SealCount, type SealScope } from './secret-sealing.js';
import {
  endpointsChanged,
  pendingDelivery,
  WAITING_OR_DEAD,
  webhookDb,
  createWebhooksStore,
  type AttemptRow,
  type DisabledReason,
  type EndpointRow,
} from './store.js';

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  disabled: boolean;
  disabledReason: DisabledReason | null;
  createdAt: string;
  updatedAt: string;
}

export interface Attempt {
  id: string;
  messageId: string;
  eventType: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  at: string;
  /** What was sent: webhook-id, webhook-timestamp, webhook-signature, content-type, user-agent (and traceparent). */
  requestHeaders: Record<string, string>;
  /** The start of the receiver's answer, at most 1 KiB. */
  responseBody: string | null;
}

export interface EndpointChange {
  url?: string;
  events?: string[];
  description?: string;
  disabled?: boolean;
}

/** Every change an admin makes here is recorded in the audit log as `actor`'s, never with a secret in it. */
export interface WebhookService {
  create(input: { url: string; events: string[]; description?: string }, actor: AuditActor): Promise<Endpoint & { secret: string }>;
  list(limit: number, after?: string): Promise<(Endpoint & { health: EndpointHealth })[]>;
  get(id: string): Promise<Endpoint & { health: EndpointHealth }>;
  update(id: string, change: EndpointChange, actor: AuditActor): Promise<Endpoint>;
  remove(id: string, actor: AuditActor): Promise<void>;
  /** A new secret; the old one keeps signing alongside it for `overlapMs`. */
  rotateSecret(id: string, actor: AuditActor): Promise<Endpoint & { secret: string }>;
  attempts(id: string, limit: number, before?: string): Promise<Attempt[]>;
  /**
   * Queues a signed `webhook.test` event for this endpoint alone, whatever it subscribes to, through the
   * normal delivery path; webhook_endpoint_disabled for a disabled endpoint.
   */
  sendTest(id: string, actor: AuditActor): Promise<{ messageId: string }>;
  /** Sends a message again to every endpoint it went to that is still enabled, with the number of deliveries queued. */
  replay(messageId: string, actor: AuditActor): Promise<{ messageId: string; deliveries: number }>;
  /** Stores every endpoint's signing secrets sealed under the current key (see secret-sealing.ts); safe to run again. */
  sealSecrets(scope: SealScope): Promise<SealCount>;
  deadLetters: DeadLetterStore;
}

const ROTATION_OVERLAP_MS = 24 * 3_600_000;

const view = (e: EndpointRow): Endpoint => ({
  id: e.id,
  url: e.url,
  events: JSON.parse(e.events) as string[],
  description: e.description,
  disabled: e.disabled === 1,
  disabledReason: e.disabled_reason,
  createdAt: e.created_at,
  updatedAt: e.updated_at,
});

const attemptView = (a: AttemptRow): Attempt => ({
  id: a.id,
  messageId: a.message_id,
  eventType: a.event_type,
  attempt: a.attempt,
  status: a.status,
  responseStatus: a.response_status,
  durationMs: a.duration_ms,
  error: a.error,
  at: a.at,
  requestHeaders: a.request_headers === null ? {} : (JSON.parse(a.request_headers) as Record<string, string>),
  responseBody: a.response_body,
});

export function createWebhookService(
  database: Database,
  options: { allowPrivate: boolean; wake: () => void; secrets: SecretBox },
): WebhookService {
  const { secrets } = options;
  const store = createWebhooksStore(database.db);

  function checkUrl(text: string): string {
    const url = new URL(text);
    if (url.username !== '' || url.password !== '') {
      throw platformErrors.error('validation_failed', 'The URL must not carry credentials', {
        errors: [{ field: 'body.url', message: 'must not contain user:password@' }],
      });
    }
    if (!options.allowPrivate && literalHostForbidden(url)) {
      throw webhookErrors.error('webhook_url_forbidden', `${url.hostname} is a private, loopback or link-local address`);
    }
    return url.toString();
  }

  /** Runs a change to the endpoints in a transaction that also bumps their version (see the fan-out's cache). */
  function changeEndpoints(change: (w: ReturnType<typeof webhookDb>, tx: Executor) => Promise<unknown>): Promise<void> {
    return database.db.transaction().execute(async (tx) => {
      const w = webhookDb(tx);
      await change(w, tx);
      await endpointsChanged(w);
    });
  }

  async function load(id: string): Promise<EndpointRow> {
    const row = await store.endpoint(id);
    if (!row) throw platformErrors.error('not_found', `No webhook endpoint ${id}`);
    return row;
  }

  return {
    async create(input, actor) {
      const now = nowIso();
      const secret = newSecret();
      const row: EndpointRow = {
        id: newId('whe'),
        url: checkUrl(input.url),
        events: JSON.stringify([...new Set(input.events)]),
        description: input.description ?? '',
        disabled: 0,
        disabled_reason: null,
        secret: secrets.seal(secret),
        previous_secret: null,
        previous_secret_until: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      };
      const created = { ...view(row), secret };
      await changeEndpoints(async (w, tx) => {
        await w.insertInto('webhook_endpoints').values(row).execute();
        await recordAudit(tx, { actor, action: 'webhook_endpoint.created', subject: row.id, after: view(row) });
        await answerWithin(tx, created);
      });
      return created;
    },

    list: async (limit, after) =>
      Promise.all((await store.listEndpoints(limit, after)).map(async (e) => ({ ...view(e), health: await endpointHealth(store, e.id) }))),
    async get(id) {
      const endpoint = view(await load(id));
      return { ...endpoint, health: await endpointHealth(store, id) };
    },

    async update(id, change, actor) {
      const current = await load(id);
      const enabling = change.disabled === false && current.disabled === 1;
      await changeEndpoints(async (w, tx) => {
        const within = createWebhooksStore(tx);
        const before = await within.endpoint(id);
        if (!before) throw platformErrors.error('not_found', `No webhook endpoint ${id}`);
        await w
          .updateTable('webhook_endpoints')
          .set({
            ...(change.url === undefined ? {} : { url: checkUrl(change.url) }),
            ...(change.events === undefined ? {} : { events: JSON.stringify([...new Set(change.events)]) }),
            ...(change.description === undefined ? {} : { description: change.description }),
            ...(change.disabled === undefined
              ? {}
              : { disabled: Number(change.disabled), disabled_reason: change.disabled ? ('manual' as const) : null }),
            ...(enabling ? { failing_since: null } : {}),
            updated_at: nowIso(),
          })
          .where('id', '=', id)
          .execute();
        const after = (await within.endpoint(id))!;
        await recordAudit(tx, { actor, action: 'webhook_endpoint.updated', subject: id, before: view(before), after: view(after) });
      });
      if (enabling) options.wake();
      return view(await load(id));
    },

    async remove(id, actor) {
      const current = await load(id);
      await changeEndpoints(async (w, tx) => {
        await w.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).where(WAITING_OR_DEAD).execute();
        const deleted = await w.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
        // Removed meanwhile by another request: that one was the change, and is the one recorded.
        if (Number(deleted.numDeletedRows) === 1)
          await recordAudit(tx, { actor, action: 'webhook_endpoint.deleted', subject: id, before: view(current) });
      });
    },

    async rotateSecret(id, actor) {
      const current = await load(id);
      const secret = newSecret();
      const change = {
        secret: secrets.seal(secret),
        // Sealed again under the current key, whichever key (or none, before sealing) it was stored under.
        previous_secret: secrets.seal(secrets.open(current.secret)),
        previous_secret_until: new Date(Date.now() + ROTATION_OVERLAP_MS).toISOString(),
        updated_at: nowIso(),
      };
      const rotated = { ...view({ ...current, ...change }), secret };
      await changeEndpoints(async (w, tx) => {
        await w.updateTable('webhook_endpoints').set(change).where('id', '=', id).execute();
        // Which secret was replaced is not the log's business: only that it was, and how long the old one still signs.
        await recordAudit(tx, {
          actor,
          action: 'webhook_endpoint.secret_rotated',
          subject: id,
          before: view(current),
          after: { ...view({ ...current, ...change }), oldKeyValidUntil: change.previous_secret_until },
        });
        await answerWithin(tx, rotated);
      });
      return rotated;
    },

    async attempts(id, limit, before) {
      await load(id);
      return (await store.attempts(id, limit, before)).map(attemptView);
    },

    async sendTest(id, actor) {
      const messageId = newId('msg');
      const at = nowIso();
      const body = JSON.stringify({
        id: messageId,
        type: WEBHOOK_TEST,
        timestamp: at,
        data: { endpointId: id, description: 'A test event sent by an operator; nothing happened in the shop.' },
      });
      await database.db.transaction().execute(async (tx) => {
        const within = createWebhooksStore(tx);
        const endpoint = await within.endpoint(id);
        if (!endpoint) throw platformErrors.error('not_found', `No webhook endpoint ${id}`);
        if (endpoint.disabled === 1)
          throw webhookErrors.error(
            'webhook_endpoint_disabled',
            `Endpoint ${id} is disabled (${endpoint.disabled_reason}); enable it first`,
          );
        await within.saveMessage({ id: messageId, type: WEBHOOK_TEST, body, occurred_at: at, traceparent: currentTraceparent() ?? null });
        await within.addDeliveries([pendingDelivery(messageId, id, at)]);
        await recordAudit(tx, { actor, action: 'webhook_endpoint.test_sent', subject: id, after: { messageId } });
        await answerWithin(tx, { messageId });
      });
      options.wake();
      return { messageId };
    },

    async replay(messageId, actor) {
      if (!(await store.message(messageId))) throw platformErrors.error('not_found', `No webhook message ${messageId}`);
      const endpointIds = await store.endpointsOfMessage(messageId);
      const enabled = new Set((await store.enabledEndpoints()).map((e) => e.id));
      const targets = endpointIds.filter((id) => enabled.has(id));
      const at = nowIso();
      const replayed = { messageId, deliveries: targets.length };
      await database.db.transaction().execute(async (tx) => {
        const within = createWebhooksStore(tx);
        // Pruned since it was read above: deliveries for it would have nothing to send.
        if (!(await within.holdMessage(messageId, database.dialect)))
          throw platformErrors.error('not_found', `No webhook message ${messageId}`);
        await within.addDeliveries(targets.map((endpointId) => pendingDelivery(messageId, endpointId, at)));
        await recordAudit(tx, { actor, action: 'webhook_message.replayed', subject: messageId, after: { endpoints: targets } });
        await answerWithin(tx, replayed);
      });
      options.wake();
      return replayed;
    },

    sealSecrets: (scope) => sealEndpointSecrets(database, secrets, scope),

    deadLetters: webhookDeadLetters(database, options.wake),
  };
}
