import path from 'node:path';
import { Value } from 'typebox/value';
import { EnvSchema, type Env } from './settings.js';
import { DEFAULT_RATE_CLASSES, type RateClassName } from './platform/http/rate-limits/limiter.js';
import type { Quota } from './platform/http/rate-limits/buckets.js';

export type { DatabaseConfig } from './platform/db/database.js';
import type { DatabaseConfig } from './platform/db/database.js';
import {
  channelQuotas,
  ConfigError,
  corsOrigins,
  databaseConfig,
  durationMs,
  quotaOf,
  secretKeys,
  trustedProxies,
} from './config-values.js';
import type { SecretKeySettings } from './platform/secrets/secret-keys.js';

export { ConfigError };

export interface Config {
  http: { port: number; host: string; bodyLimit: number; shutdownGraceMs: number; trustedProxies: string[]; corsOrigins: string[] };
  /** Reads that may lag, and the window after a user's write in which theirs do not. */
  readRouting: { readYourWritesMs: number; maxLagMs: number };
  database: DatabaseConfig;
  dataDir: string;
  role: Env['ORDERLY_ROLE'];
  logLevel: string;
  admin: { email: string; password: string } | null;
  sessionTtlMs: number;
  /** log2 of scrypt's N for new password hashes. */
  passwordCost: number;
  reservationTtlMs: number;
  sagaDeadlineMs: number;
  /** The saga's stock steps run in its own transaction rather than as messages to inventory. */
  inlineStock: boolean;
  /** Unfinished orders past which checkout is refused for a while (0: never). */
  checkoutMaxBacklog: number;
  currency: string;
  cache: { ttlMs: number; negativeTtlMs: number; sharedTtlMs: number; sessionTtlMs: number };
  recommendationsTimeoutMs: number;
  searchWindow: number;
  searchThreads: number;
  messaging: {
    retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
    pollIntervalMs: number;
    duplicateDelivery: boolean;
    batchSize: number;
    /** NATS JetStream instead of the database's own queue. */
    nats: NatsConfig | null;
  };
  sweepIntervalMs: number;
  /** How long what is finished is kept before it is deleted, and how often the retention tasks look. */
  retention: RetentionConfig;
  payments: {
    providerUrl: string | null;
    timeoutMs: number;
    halfOpenAfterMs: number;
    consecutiveFailures: number;
    bulkhead: { limit: number; queue: number };
    parkMaxMs: number;
  };
  rateLimits: RateLimitSettings;
  redisUrl: string | null;
  shedding: { enabled: boolean; maxInFlight: number; lagMs: number };
  notifications: {
    smtp: { url: string; from: string } | null;
    timeoutMs: number;
    perUser: Quota;
    perChannel: Record<'email' | 'sms' | 'push', Quota>;
  };
  /** null when no collector is named: no spans, no trace headers. */
  tracing: TracingConfig | null;
  webhooks: {
    retryScheduleMs: number[];
    timeoutMs: number;
    endpointConcurrency: number;
    fanOutChunk: number;
    disableAfterMs: number;
    allowPrivate: boolean;
  };
  idempotency: { leaseMs: number };
  /** The keys stored secrets are sealed under (ORDERLY_SECRET_KEY and _PREVIOUS); no current key: the data directory's key file. */
  secrets: SecretKeySettings;
  /** Cold storage of final orders: the directory, and after how long they move there (null: never, by schedule). */
  archive: { dir: string; afterMs: number | null };
  /** Scheduled online backups of the embedded files; null when ORDERLY_BACKUP_DIR is not set. */
  backup: { dir: string; everyMs: number; keep: number } | null;
  /** The storefront's and the console's built files, and whether `orderly start` may fill an empty shop with demo data. */
  web: { dir: string; consoleDir: string; demo: 'auto' | 'on' | 'off' };
  /** Test-only fault points. */
  faults: { exitAfterCommit: string | null; killAfterArchiveFile: boolean };
}

/** `off`, or the classes whose quota (requests) per window (seconds) differ from the defaults. */
export type RateLimitSettings = 'off' | Partial<Record<RateClassName, { quota: number; windowSeconds: number }>>;

export interface NatsConfig {
  servers: string[];
  stream: string;
  partitions: number;
  replicas: number;
  ackWaitMs: number;
}

export interface RetentionConfig {
  webhookAttemptsMs: number;
  notificationsMs: number;
  /** Resolved ones: redriven, then delivered. */
  deadLettersMs: number;
  /** After expiry. */
  sessionsMs: number;
  everyMs: number;
}

/** OpenTelemetry tracing: on when a collector is named. The SDK reads the sampler and service name itself. */
export interface TracingConfig {
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  dbStatements: boolean;
}

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(EnvSchema.properties);
  const raw = Object.fromEntries(known.filter((key) => env[key] !== undefined && env[key] !== '').map((key) => [key, env[key]]));
  const withDefaults = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw));
  if (!Value.Check(EnvSchema, withDefaults)) {
    const problems = [...Value.Errors(EnvSchema, withDefaults)].map((e) => `${e.instancePath.slice(1) || 'environment'}: ${e.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = withDefaults as Env;
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimit: e.ORDERLY_BODY_LIMIT_BYTES,
      shutdownGraceMs: e.ORDERLY_SHUTDOWN_GRACE_MS,
      trustedProxies: trustedProxies(e.ORDERLY_TRUSTED_PROXIES),
      corsOrigins: corsOrigins(e.ORDERLY_CORS_ORIGINS),
    },
    readRouting: { readYourWritesMs: e.ORDERLY_READ_YOUR_WRITES_MS, maxLagMs: e.ORDERLY_REPLICA_MAX_LAG_MS },
    database: databaseConfig(e),
    dataDir: path.resolve(e.ORDERLY_DATA_DIR),
    role: e.ORDERLY_ROLE,
    logLevel: e.LOG_LEVEL,
    admin: adminConfig(e),
    sessionTtlMs: e.ORDERLY_SESSION_TTL_HOURS * 3_600_000,
    passwordCost: e.ORDERLY_PASSWORD_COST,
    reservationTtlMs: e.ORDERLY_RESERVATION_TTL_SECONDS * 1000,
    sagaDeadlineMs: (e.ORDERLY_SAGA_DEADLINE_SECONDS ?? e.ORDERLY_RESERVATION_TTL_SECONDS * 2) * 1000,
    inlineStock: e.ORDERLY_SAGA_INLINE_STOCK,
    checkoutMaxBacklog: e.ORDERLY_CHECKOUT_MAX_BACKLOG,
    currency: e.ORDERLY_CURRENCY,
    cache: {
      ttlMs: e.ORDERLY_READ_CACHE_TTL_MS,
      negativeTtlMs: e.ORDERLY_CACHE_NEGATIVE_TTL_MS,
      sharedTtlMs: e.ORDERLY_CACHE_SHARED_TTL_MS,
      sessionTtlMs: e.ORDERLY_SESSION_CACHE_TTL_MS,
    },
    recommendationsTimeoutMs: e.ORDERLY_RECOMMENDATIONS_TIMEOUT_MS,
    searchWindow: e.ORDERLY_SEARCH_WINDOW,
    searchThreads: e.ORDERLY_SEARCH_THREADS,
    messaging: {
      retry: {
        maxAttempts: e.ORDERLY_MESSAGE_MAX_ATTEMPTS,
        baseDelayMs: e.ORDERLY_MESSAGE_RETRY_BASE_MS,
        maxDelayMs: e.ORDERLY_MESSAGE_RETRY_MAX_MS,
      },
      pollIntervalMs: e.ORDERLY_RELAY_POLL_MS,
      duplicateDelivery: e.ORDERLY_DUPLICATE_DELIVERY,
      batchSize: e.ORDERLY_MESSAGE_BATCH,
      nats: natsConfig(e),
    },
    sweepIntervalMs: e.ORDERLY_SWEEP_INTERVAL_MS,
    retention: retentionConfig(e),
    payments: {
      providerUrl: e.PAYMENT_PROVIDER_URL ?? null,
      timeoutMs: e.ORDERLY_PAYMENT_TIMEOUT_MS,
      halfOpenAfterMs: e.ORDERLY_PAYMENT_BREAKER_HALF_OPEN_MS,
      consecutiveFailures: e.ORDERLY_PAYMENT_BREAKER_CONSECUTIVE_FAILURES,
      bulkhead: { limit: e.ORDERLY_PAYMENT_BULKHEAD, queue: e.ORDERLY_PAYMENT_BULKHEAD_QUEUE },
      parkMaxMs: e.ORDERLY_PAYMENT_PARK_MAX_MS,
    },
    rateLimits: rateLimitSettings(e.ORDERLY_RATE_LIMITS),
    redisUrl: e.REDIS_URL ?? null,
    shedding: { enabled: e.ORDERLY_LOAD_SHEDDING, maxInFlight: e.ORDERLY_SHED_MAX_IN_FLIGHT, lagMs: e.ORDERLY_SHED_LAG_MS },
    notifications: {
      smtp: e.SMTP_URL === undefined ? null : { url: e.SMTP_URL, from: e.ORDERLY_MAIL_FROM },
      timeoutMs: e.ORDERLY_NOTIFICATION_TIMEOUT_MS,
      perUser: quotaOf('ORDERLY_NOTIFICATION_USER_LIMIT', e.ORDERLY_NOTIFICATION_USER_LIMIT),
      perChannel: channelQuotas(e.ORDERLY_NOTIFICATION_CHANNEL_LIMITS),
    },
    webhooks: {
      retryScheduleMs: e.ORDERLY_WEBHOOK_RETRY_SCHEDULE.split(',').map((part) => durationMs('ORDERLY_WEBHOOK_RETRY_SCHEDULE', part)),
      timeoutMs: e.ORDERLY_WEBHOOK_TIMEOUT_MS,
      endpointConcurrency: e.ORDERLY_WEBHOOK_ENDPOINT_CONCURRENCY,
      fanOutChunk: e.ORDERLY_WEBHOOK_FANOUT_CHUNK,
      disableAfterMs: durationMs('ORDERLY_WEBHOOK_DISABLE_AFTER', e.ORDERLY_WEBHOOK_DISABLE_AFTER),
      allowPrivate: e.ORDERLY_WEBHOOK_ALLOW_PRIVATE,
    },
    idempotency: { leaseMs: e.ORDERLY_IDEMPOTENCY_LEASE_MS },
    secrets: secretKeys(e),
    backup: backupConfig(e),
    archive: {
      dir: path.resolve(e.ORDERLY_ARCHIVE_DIR ?? path.join(e.ORDERLY_DATA_DIR, 'archive')),
      afterMs: e.ORDERLY_ARCHIVE_AFTER_DAYS === 0 ? null : e.ORDERLY_ARCHIVE_AFTER_DAYS * 86_400_000,
    },
    tracing: tracingConfig(e),
    web: {
      dir: path.resolve(e.ORDERLY_WEB_DIR),
      consoleDir: path.resolve(e.ORDERLY_CONSOLE_DIR),
      demo: e.ORDERLY_DEMO === 'true' ? 'on' : e.ORDERLY_DEMO === 'false' ? 'off' : 'auto',
    },
    faults: {
      exitAfterCommit: e.ORDERLY_FAULT?.startsWith('exit-after-commit:') ? e.ORDERLY_FAULT.slice('exit-after-commit:'.length) : null,
      killAfterArchiveFile: e.ORDERLY_FAULT === 'kill-after-archive-file',
    },
  };
}

function retentionConfig(e: Env): RetentionConfig {
  const atLeast = (name: keyof Env & `ORDERLY_RETENTION_${string}`, min: string) => {
    const ms = durationMs(name, e[name]);
    if (ms < durationMs(name, min)) throw new ConfigError(`invalid configuration:\n  ${name}: at least ${min}`);
    return ms;
  };
  return {
    webhookAttemptsMs: atLeast('ORDERLY_RETENTION_WEBHOOK_ATTEMPTS', '1s'),
    notificationsMs: atLeast('ORDERLY_RETENTION_NOTIFICATIONS', '1s'),
    deadLettersMs: atLeast('ORDERLY_RETENTION_DEAD_LETTERS', '1s'),
    sessionsMs: atLeast('ORDERLY_RETENTION_SESSIONS', '1s'),
    everyMs: atLeast('ORDERLY_RETENTION_EVERY', '100ms'),
  };
}

function rateLimitSettings(text: string): RateLimitSettings {
  if (text.trim() === 'off') return 'off';
  const settings: Partial<Record<RateClassName, { quota: number; windowSeconds: number }>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([a-z_]+)=(\d+)\/(\d+)$/.exec(part);
    if (!match || Number(match[2]) < 1 || Number(match[3]) < 1) {
      throw new ConfigError(
        `invalid configuration:\n  ORDERLY_RATE_LIMITS: "${part}" is not class=requests/seconds (e.g. login=5/60), and the whole value is not "off"`,
      );
    }
    if (!(match[1]! in DEFAULT_RATE_CLASSES)) {
      throw new ConfigError(
        `invalid configuration:\n  ORDERLY_RATE_LIMITS: unknown class "${match[1]}" (known: ${Object.keys(DEFAULT_RATE_CLASSES).join(', ')})`,
      );
    }
    settings[match[1] as RateClassName] = { quota: Number(match[2]), windowSeconds: Number(match[3]) };
  }
  return settings;
}

function backupConfig(e: Env): Config['backup'] {
  const everyMs = durationMs('ORDERLY_BACKUP_EVERY', e.ORDERLY_BACKUP_EVERY);
  if (e.ORDERLY_BACKUP_DIR === undefined) return null;
  if (e.DATABASE_URL !== undefined && /^postgres(ql)?:\/\//.test(e.DATABASE_URL)) {
    throw new ConfigError(
      'invalid configuration:\n  ORDERLY_BACKUP_DIR: scheduled backups copy the embedded SQLite files; on PostgreSQL use deploy/postgres/backup.sh with WAL archiving',
    );
  }
  if (everyMs < 1000) throw new ConfigError('invalid configuration:\n  ORDERLY_BACKUP_EVERY: at least 1s');
  return { dir: path.resolve(e.ORDERLY_BACKUP_DIR), everyMs, keep: e.ORDERLY_BACKUP_KEEP };
}

function natsConfig(e: Env): NatsConfig | null {
  if (e.NATS_URL === undefined) return null;
  if (e.DATABASE_URL === undefined || !/^postgres(ql)?:\/\//.test(e.DATABASE_URL)) {
    throw new ConfigError(
      'invalid configuration:\n  NATS_URL: NATS JetStream needs PostgreSQL (set DATABASE_URL=postgres://…); the embedded SQLite file keeps its own queue',
    );
  }
  return {
    servers: e.NATS_URL.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    stream: e.ORDERLY_NATS_STREAM,
    partitions: e.ORDERLY_NATS_PARTITIONS,
    replicas: e.ORDERLY_NATS_REPLICAS,
    ackWaitMs: e.ORDERLY_NATS_ACK_WAIT_MS,
  };
}

function adminConfig(e: Env): Config['admin'] {
  const { ORDERLY_ADMIN_EMAIL: email, ORDERLY_ADMIN_PASSWORD: password } = e;
  if (email === undefined && password === undefined) return null;
  if (email === undefined || password === undefined) {
    throw new ConfigError('invalid configuration:\n  ORDERLY_ADMIN_EMAIL and ORDERLY_ADMIN_PASSWORD must be set together');
  }
  if (password.length < 8) throw new ConfigError('invalid configuration:\n  ORDERLY_ADMIN_PASSWORD: must be at least 8 characters');
  return { email, password };
}

/** The documented settings, for `orderly help`. */
export function describeSettings(): string[] {
  return Object.entries(EnvSchema.properties).map(([key, schema]) => {
    const s = schema as { default?: unknown; description?: string };
    const def = s.default === undefined ? '' : ` (default ${String(s.default)})`;
    return `${key}${def}${s.description ? ` — ${s.description}` : ''}`;
  });
}

function tracingConfig(e: Env): TracingConfig | null {
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined) return null;
  if (!/^https?:\/\/[^/]/.test(endpoint))
    throw new ConfigError('invalid configuration:\n  OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL');
  return {
    endpoint,
    protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: e.OTEL_SERVICE_NAME,
    dbStatements: e.ORDERLY_TRACE_DB_STATEMENTS,
  };
}
