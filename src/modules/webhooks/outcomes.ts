import type { Kysely } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { WebhookMetrics } from './metrics.js';
import type { AttemptResult } from './http-request.js';
import { endpointsChanged, webhookDb, type WebhookTables } from './store.js';

/** One delivery handed to a sender: which message, to which endpoint, and which attempt this is. */
export interface Job {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  attempt: number;
  type: string;
  body: string;
  occurredAt: string;
  /** The trace its attempts belong to. */
  traceparent: string | null;
}

export interface Completion {
  job: Job;
  result: AttemptResult;
  at: Date;
}

interface OutcomeDeps {
  /** Delays before each retry (one more attempt than entries), and how long failing disables an endpoint. */
  settings: { retryScheduleMs: number[]; disableAfterMs: number };
  metrics: WebhookMetrics;
  logger: Logger;
}

const MAX_RETRY_AFTER_MS = 86_400_000;

const jitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));

/** Writes what a batch of attempts came to: the attempts log, and each delivery succeeded, to retry, or dead; endpoints failing or disabled. */
export async function recordOutcomes(tx: Executor, batch: Completion[], deps: OutcomeDeps): Promise<void> {
  if (batch.length === 0) return;
  const db = webhookDb(tx);
  const attempts: WebhookTables['webhook_attempts'][] = batch.map(({ job, result, at }) => ({
    id: newId('wha'),
    delivery_id: job.deliveryId,
    endpoint_id: job.endpointId,
    message_id: job.messageId,
    event_type: job.type,
    attempt: job.attempt,
    status: result.ok ? 'succeeded' : 'failed',
    response_status: result.status,
    duration_ms: result.durationMs,
    error: result.error?.slice(0, 500) ?? null,
    at: at.toISOString(),
    request_headers: result.requestHeaders === null ? null : JSON.stringify(result.requestHeaders),
    response_body: result.responseBody,
  }));
  await db.insertInto('webhook_attempts').values(attempts).execute();
  const succeeded = batch.filter((c) => c.result.ok);
  if (succeeded.length > 0) {
    // A delivered delivery's next_attempt_at is when it was delivered (the batch's last, to the millisecond
    // or so): what the retention counts from.
    const deliveredAt = new Date(succeeded.reduce((latest, c) => Math.max(latest, c.at.getTime()), 0)).toISOString();
    await db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ status: 'succeeded', attempts: eb('attempts', '+', 1), last_error: null, next_attempt_at: deliveredAt }))
      .where(
        'id',
        'in',
        succeeded.map((c) => c.job.deliveryId),
      )
      .where('status', '=', 'delivering')
      .execute();
    await db
      .updateTable('webhook_endpoints')
      .set({ failing_since: null })
      .where('id', 'in', [...new Set(succeeded.map((c) => c.job.endpointId))])
      .where('failing_since', 'is not', null)
      .execute();
  }
  for (const { job, result, at } of batch.filter((c) => !c.result.ok)) await recordFailure(db, job, result, at, deps);
}

async function recordFailure(
  db: Kysely<WebhookTables>,
  job: Job,
  result: AttemptResult,
  at: Date,
  { settings, metrics, logger }: OutcomeDeps,
): Promise<void> {
  const atIso = at.toISOString();
  const gone = result.status === 410;
  const dead = gone || job.attempt > settings.retryScheduleMs.length;
  const delay =
    result.retryAfterMs === null
      ? jitter(settings.retryScheduleMs[job.attempt - 1] ?? 0)
      : Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS);
  const error = gone ? 'receiver answered 410 Gone: endpoint disabled' : result.error;
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: dead ? 'dead' : 'pending',
      attempts: job.attempt,
      last_error: error?.slice(0, 500) ?? null,
      next_attempt_at: new Date(at.getTime() + (dead ? 0 : delay)).toISOString(),
      // A retry after a redrive keeps the dead_at it had: it is still a dead letter until delivered.
      ...(dead ? { dead_at: atIso } : {}),
    })
    .where('id', '=', job.deliveryId)
    .where('status', '=', 'delivering')
    .execute();
  if (dead) {
    metrics.deadLettered();
    logger.warn(
      { deliveryId: job.deliveryId, endpointId: job.endpointId, messageId: job.messageId, attempts: job.attempt, error },
      'webhook delivery dead-lettered',
    );
  }
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: atIso })
    .where('id', '=', job.endpointId)
    .where('failing_since', 'is', null)
    .execute();
  const disable = gone
    ? db.updateTable('webhook_endpoints').set({ disabled: 1, disabled_reason: 'gone', updated_at: atIso })
    : db
        .updateTable('webhook_endpoints')
        .set({ disabled: 1, disabled_reason: 'failing', updated_at: atIso })
        .where('failing_since', '<=', new Date(at.getTime() - settings.disableAfterMs).toISOString());
  const disabled = await disable.where('id', '=', job.endpointId).where('disabled', '=', 0).executeTakeFirst();
  if (Number(disabled.numUpdatedRows) === 1) {
    await endpointsChanged(db);
    metrics.disabled(gone ? 'gone' : 'failing');
    logger.warn({ endpointId: job.endpointId, reason: gone ? 'gone' : 'failing' }, 'webhook endpoint disabled');
  }
}
