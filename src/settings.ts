import { Type, type Static } from 'typebox';

/**
 * Every setting Orderly reads from its environment, with its default.
 * Read once at start-up, validated, and passed down; nothing deeper reads process.env.
 */
export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'HTTP bind address' }),
  ORDERLY_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'where the embedded SQLite files live' }),
  DATABASE_URL: Type.Optional(Type.String({ description: 'postgres://… to use PostgreSQL instead of the embedded SQLite file' })),
  DATABASE_REPLICA_URL: Type.Optional(
    Type.String({ description: 'postgres://… of a streaming read replica: listings, search and recommendations read from it' }),
  ),
  ORDERLY_READ_YOUR_WRITES_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'after a write, that user reads from the primary this long (on every api copy, through Redis)',
  }),
  ORDERLY_REPLICA_MAX_LAG_MS: Type.Integer({
    minimum: 0,
    default: 2000,
    description: 'a replica further behind than this is not read from until it catches up',
  }),
  ORDERLY_TRUSTED_PROXIES: Type.Optional(
    Type.String({
      description: 'addresses or CIDRs (comma-separated) of load balancers whose X-Forwarded-For names the client',
    }),
  ),
  ORDERLY_CORS_ORIGINS: Type.Optional(
    Type.String({
      description:
        'origins (comma-separated, e.g. https://shop.example) whose pages may call the API from a browser, with credentials; none: CORS off',
    }),
  ),
  ORDERLY_ADMIN_EMAIL: Type.Optional(Type.String({ description: 'admin created or updated at start-up' })),
  ORDERLY_ADMIN_PASSWORD: Type.Optional(Type.String({ description: 'password of that admin (at least 8 characters)' })),
  ORDERLY_SECRET_KEY: Type.Optional(
    Type.String({
      description:
        'the key that encrypts stored secrets (webhook signing secrets), AES-256-GCM: 32 bytes as 64 hex digits or base64 (`openssl rand -base64 32`); unset: a key file made in the data directory (one machine only)',
    }),
  ),
  ORDERLY_SECRET_KEY_PREVIOUS: Type.Optional(
    Type.String({
      description:
        'older keys, comma-separated: still read, never written; `orderly rotate-secret-key` moves every secret to the current key',
    }),
  ),
  ORDERLY_ROLE: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], { default: 'all' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  ORDERLY_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  ORDERLY_SESSION_TTL_HOURS: Type.Integer({ minimum: 1, default: 720, description: 'bearer tokens expire after this' }),
  ORDERLY_PASSWORD_COST: Type.Integer({
    minimum: 14,
    maximum: 18,
    default: 17,
    description: "log2 of scrypt's N for new password hashes: 17 is OWASP's figure; lower only where logins are not what is tested",
  }),
  ORDERLY_RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 1, default: 900, description: 'stock reservations expire after this' }),
  ORDERLY_SAGA_INLINE_STOCK: Type.Boolean({
    default: true,
    description: "hold, sell and return stock in the saga's own transaction (inventory shares its database); false sends each as a message",
  }),
  ORDERLY_CHECKOUT_MAX_BACKLOG: Type.Integer({
    minimum: 0,
    default: 20000,
    description: 'accepted orders still unfinished past which POST /v1/orders answers 503 with Retry-After (0: no limit)',
  }),
  ORDERLY_SAGA_DEADLINE_SECONDS: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'an order still unfinished after this is cancelled as expired (default: twice the reservation TTL)',
    }),
  ),
  ORDERLY_SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10_000, description: 'how long SIGTERM waits for in-flight work' }),
  ORDERLY_CURRENCY: Type.String({ pattern: '^[A-Z]{3}$', default: 'USD', description: 'currency of an empty cart' }),
  ORDERLY_READ_CACHE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 1000,
    description: 'in-process (L1) cache of product reads; without REDIS_URL other processes see a change within this (0 turns caching off)',
  }),
  ORDERLY_CACHE_NEGATIVE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 1000,
    description: 'how long an unknown product id is remembered as unknown',
  }),
  ORDERLY_CACHE_SHARED_TTL_MS: Type.Integer({
    minimum: 1,
    default: 300_000,
    description: 'product reads kept in Redis (L2) when REDIS_URL is set',
  }),
  ORDERLY_SESSION_CACHE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 10_000,
    description: 'sessions cached by token; logout invalidates at once (every node with REDIS_URL, else within this)',
  }),
  ORDERLY_SEARCH_WINDOW: Type.Integer({
    minimum: 100,
    maximum: 1_000_000,
    default: 1000,
    description: 'a search ranks and counts facets over at most this many newest matches',
  }),
  ORDERLY_SEARCH_THREADS: Type.Integer({
    minimum: 0,
    maximum: 64,
    default: 2,
    description: 'embedded search runs on this many reader threads, off the event loop that takes orders (0: on it)',
  }),
  ORDERLY_RECOMMENDATIONS_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 100,
    description: 'recommendations answer an empty list after this',
  }),
  ORDERLY_MESSAGE_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    default: 8,
    description: 'deliveries of one message to one consumer before it is dead-lettered',
  }),
  ORDERLY_MESSAGE_RETRY_BASE_MS: Type.Integer({
    minimum: 1,
    default: 200,
    description: 'first retry delay; doubles per attempt, with jitter',
  }),
  ORDERLY_MESSAGE_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 60_000, description: 'longest retry delay' }),
  ORDERLY_RELAY_POLL_MS: Type.Integer({
    minimum: 1,
    default: 100,
    description: 'how often consumers look for messages committed by other processes',
  }),
  ORDERLY_MESSAGE_BATCH: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 32,
    description: 'the most messages of one consumer group applied in one transaction, with one statement per kind for all (1: each alone)',
  }),
  ORDERLY_DUPLICATE_DELIVERY: Type.Boolean({ default: false, description: 'test mode: deliver every message twice, concurrently' }),
  ORDERLY_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 10,
    default: 5000,
    description: 'how often expired reservations, overdue sagas and old idempotency keys are swept',
  }),
  ORDERLY_DB_POOL_SIZE: Type.Integer({ minimum: 1, default: 20, description: 'PostgreSQL connections per process' }),
  NATS_URL: Type.Optional(
    Type.String({
      pattern: '^(nats|tls)://',
      description: 'nats://… to carry messages on NATS JetStream (PostgreSQL only); comma-separate a cluster’s servers',
    }),
  ),
  ORDERLY_NATS_STREAM: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,32}$',
    default: 'ORDERLY',
    description: 'the JetStream stream (and subject prefix) Orderly’s messages travel in',
  }),
  ORDERLY_NATS_PARTITIONS: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 8,
    description: 'partitions per consumer group: messages of one key share one, handled one at a time in order',
  }),
  ORDERLY_NATS_REPLICAS: Type.Integer({
    minimum: 1,
    maximum: 5,
    default: 1,
    description: 'stream and consumer replicas, for a clustered NATS',
  }),
  ORDERLY_NATS_ACK_WAIT_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description: 'a delivery not acknowledged this long after it was handed out goes to another worker',
  }),
  PAYMENT_PROVIDER_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'an HTTP payment provider (e.g. `orderly payment-sim`) instead of the embedded sandbox',
    }),
  ),
  ORDERLY_PAYMENT_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 2000,
    description: 'each call to the payment provider is aborted after this',
  }),
  ORDERLY_PAYMENT_BREAKER_HALF_OPEN_MS: Type.Integer({
    minimum: 1,
    default: 30_000,
    description: 'an open payment breaker lets a probe through after this',
  }),
  ORDERLY_PAYMENT_BREAKER_CONSECUTIVE_FAILURES: Type.Integer({
    minimum: 1,
    default: 5,
    description: 'failed payment calls in a row that open the breaker',
  }),
  ORDERLY_PAYMENT_BULKHEAD: Type.Integer({ minimum: 1, default: 16, description: 'payment calls in flight at once' }),
  ORDERLY_PAYMENT_BULKHEAD_QUEUE: Type.Integer({
    minimum: 0,
    default: 64,
    description: 'payment calls waiting for a slot; more are parked at once',
  }),
  ORDERLY_PAYMENT_PARK_MAX_MS: Type.Integer({
    minimum: 1,
    default: 5000,
    description: 'longest wait between tries of a charge parked by a provider outage',
  }),
  ORDERLY_RATE_LIMITS: Type.String({
    default: '',
    description: 'off, or per-class overrides such as login=5/60,checkout=20/10 (requests per seconds)',
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description: 'redis://… to share rate-limit buckets, the L2 cache and cache invalidations between processes',
    }),
  ),
  ORDERLY_LOAD_SHEDDING: Type.Boolean({ default: true, description: 'refuse low-priority requests with 503 under overload' }),
  ORDERLY_SHED_MAX_IN_FLIGHT: Type.Integer({
    minimum: 1,
    default: 1000,
    description: 'requests in flight at which only checkout is still admitted',
  }),
  SMTP_URL: Type.Optional(
    Type.String({ pattern: '^smtps?://', description: 'smtp://… to send email over SMTP instead of keeping it in the embedded mailbox' }),
  ),
  ORDERLY_MAIL_FROM: Type.String({
    minLength: 3,
    default: 'Orderly <no-reply@orderly.local>',
    description: 'sender of notification emails',
  }),
  ORDERLY_NOTIFICATION_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'each send to a notification provider is aborted after this',
  }),
  ORDERLY_NOTIFICATION_USER_LIMIT: Type.String({
    pattern: '^\\d+/\\d+$',
    default: '20/3600',
    description: 'notifications per user and channel per seconds; more wait',
  }),
  ORDERLY_NOTIFICATION_CHANNEL_LIMITS: Type.String({
    default: 'email=100/1,sms=10/1,push=100/1',
    description: 'sends per seconds per channel, to protect providers; more wait',
  }),
  ORDERLY_WEBHOOK_RETRY_SCHEDULE: Type.String({
    default: '5s,5m,30m,2h,5h,10h,10h',
    description: 'delays before each retry of a failed webhook delivery (units ms, s, m, h, d), each ±20 %; then dead-lettered',
  }),
  ORDERLY_WEBHOOK_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'a webhook attempt without a response after this has failed',
  }),
  ORDERLY_WEBHOOK_ENDPOINT_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 100,
    description: 'deliveries in flight to one endpoint at once',
  }),
  ORDERLY_WEBHOOK_FANOUT_CHUNK: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 64,
    description: 'endpoints given their deliveries per transaction when an event fans out',
  }),
  ORDERLY_ARCHIVE_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'where archived orders are kept (default: archive/ in the data directory)' }),
  ),
  ORDERLY_ARCHIVE_AFTER_DAYS: Type.Integer({
    minimum: 0,
    default: 365,
    description: 'delivered and cancelled orders unchanged for this many days move to the archive (0: never)',
  }),
  ORDERLY_BACKUP_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'scheduled online backups of the embedded files go here (SQLite only; off when unset)' }),
  ),
  ORDERLY_BACKUP_EVERY: Type.String({ default: '1h', description: 'how often a scheduled backup is taken (ms, s, m, h, d)' }),
  ORDERLY_BACKUP_KEEP: Type.Integer({ minimum: 1, default: 24, description: 'scheduled backups kept; older ones are deleted' }),
  ORDERLY_WEBHOOK_DISABLE_AFTER: Type.String({ default: '5d', description: 'an endpoint failing continuously this long is disabled' }),
  ORDERLY_WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'allow webhook URLs that resolve to private, loopback or link-local addresses (local tests)',
  }),
  ORDERLY_SHED_LAG_MS: Type.Integer({
    minimum: 1,
    default: 200,
    description: 'event-loop stall at which shedding starts with the lowest priorities',
  }),
  ORDERLY_IDEMPOTENCY_LEASE_MS: Type.Integer({
    minimum: 500,
    default: 3000,
    description: 'an Idempotency-Key claim whose process stops renewing it (it died) is free again after this',
  }),
  ORDERLY_RETENTION_WEBHOOK_ATTEMPTS: Type.String({
    default: '30d',
    description:
      'delivered webhook deliveries are deleted this long after delivery, their attempts this long after they were made, and event bodies this long after the event once no delivery needs them (no replay then); nothing pending, retrying or dead is',
  }),
  ORDERLY_RETENTION_NOTIFICATIONS: Type.String({
    default: '90d',
    description:
      'sent notifications and the embedded mailbox and SMS/push sandboxes are deleted this long after the send; pending and failed ones stay',
  }),
  ORDERLY_RETENTION_DEAD_LETTERS: Type.String({
    default: '30d',
    description:
      'a webhook dead letter redriven and then delivered is deleted this long after delivery (then its attempts as above); one not resolved stays',
  }),
  ORDERLY_RETENTION_SESSIONS: Type.String({ default: '7d', description: 'sessions are deleted this long after they expire' }),
  ORDERLY_RETENTION_EVERY: Type.String({
    default: '10m',
    description: 'how often retention looks for rows past their time (it deletes in small batches with pauses between)',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({ description: 'OpenTelemetry collector (OTLP/HTTP, e.g. http://127.0.0.1:4318); traces go to its /v1/traces' }),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ description: 'the full traces URL, instead of the endpoint above' })),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')], {
    default: 'http/protobuf',
    description: 'how spans are sent to the collector',
  }),
  OTEL_SERVICE_NAME: Type.String({ minLength: 1, default: 'orderly', description: 'service.name of the spans' }),
  OTEL_TRACES_SAMPLER: Type.Union(
    ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'].map((s) =>
      Type.Literal(s),
    ),
    { default: 'parentbased_always_on', description: 'which traces are kept (ratio in OTEL_TRACES_SAMPLER_ARG)' },
  ),
  ORDERLY_TRACE_DB_STATEMENTS: Type.Boolean({ default: false, description: 'debugging: a span per database statement while tracing' }),
  ORDERLY_WEB_DIR: Type.String({
    minLength: 1,
    default: './dist/web/storefront',
    description: 'the built storefront served at / (npm start builds it); nothing is served there when it is missing',
  }),
  ORDERLY_CONSOLE_DIR: Type.String({
    minLength: 1,
    default: './dist/web/console',
    description: 'the built operations console served at /admin (npm start builds it); nothing is served there when it is missing',
  }),
  ORDERLY_DEMO: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
    description: 'demo shop on `orderly start`: auto fills a new, empty embedded (SQLite) database; true also on PostgreSQL',
  }),
  ORDERLY_FAULT: Type.Optional(
    Type.String({
      pattern: '^(exit-after-commit:[a-z_-]+\\.[a-z_-]+|kill-after-archive-file)$',
      description:
        'tests only: exit-after-commit:<effect> kills the process after that effect commits, before its answer is sent; ' +
        'kill-after-archive-file kills it (SIGKILL) once an archive file is stored, before its orders leave the hot tables',
    }),
  ),
});

export type Env = Static<typeof EnvSchema>;
