import { describe, expect, it } from 'vitest';
import { ConfigError, describeSettings, loadConfig } from '../../src/config.js';

const refused = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('configuration', () => {
  it('fills every setting with its default on an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ port: 3000, host: '127.0.0.1', bodyLimit: 1_048_576 });
    expect(config.database).toMatchObject({ kind: 'sqlite' });
    expect(config.role).toBe('all');
    expect(config.admin).toBeNull();
    expect(config.rateLimits).toEqual({});
    expect(config.idempotency.leaseMs).toBe(3000);
    expect(config.faults.exitAfterCommit).toBeNull();
  });

  it('reads a read replica and trusted proxies, and refuses them where they cannot work', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h/db',
      DATABASE_REPLICA_URL: 'postgresql://u@replica/db',
      ORDERLY_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16, loopback, ::1',
    });
    expect(config.database).toMatchObject({ kind: 'postgres', replicaUrl: 'postgresql://u@replica/db' });
    expect(config.http.trustedProxies).toEqual(['10.0.0.1', '192.168.0.0/16', 'loopback', '::1']);
    expect(config.readRouting).toEqual({ readYourWritesMs: 5000, maxLagMs: 2000 });
    expect(loadConfig({}).http.trustedProxies).toEqual([]);
    expect(refused({ DATABASE_REPLICA_URL: 'postgres://u@replica/db' })).toContain('DATABASE_REPLICA_URL: a read replica needs PostgreSQL');
    expect(refused({ DATABASE_URL: 'postgres://u@h/db', DATABASE_REPLICA_URL: 'mysql://r/db' })).toContain('DATABASE_REPLICA_URL');
    for (const bad of ['10.0.0.300', '10.0.0.0/33', 'balancer', '10.0.0.1/8/8'])
      expect(refused({ ORDERLY_TRUSTED_PROXIES: bad })).toContain(`ORDERLY_TRUSTED_PROXIES: "${bad}"`);
    expect(refused({ ORDERLY_REPLICA_MAX_LAG_MS: '-1' })).toContain('ORDERLY_REPLICA_MAX_LAG_MS');
  });

  it('reads PostgreSQL and SQLite URLs, rate-limit overrides and fault points', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', ORDERLY_DB_POOL_SIZE: '7' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
      poolSize: 7,
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({ kind: 'sqlite', file: '/tmp/x.db' });
    expect(loadConfig({ ORDERLY_RATE_LIMITS: 'login=10/60, checkout=60/60' }).rateLimits).toEqual({
      login: { quota: 10, windowSeconds: 60 },
      checkout: { quota: 60, windowSeconds: 60 },
    });
    expect(loadConfig({ ORDERLY_RATE_LIMITS: 'off' }).rateLimits).toBe('off');
    expect(loadConfig({ ORDERLY_FAULT: 'exit-after-commit:orders.place' }).faults.exitAfterCommit).toBe('orders.place');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', NATS_URL: 'nats://a:4222, nats://b:4222' }).messaging.nats).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
      stream: 'ORDERLY',
      partitions: 8,
      replicas: 1,
      ackWaitMs: 30_000,
    });
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(refused({ PORT: 'eighty' })).toMatch(/PORT/);
    expect(refused({ ORDERLY_ROLE: 'boss' })).toMatch(/ORDERLY_ROLE/);
    expect(refused({ DATABASE_URL: 'mysql://x' })).toMatch(/DATABASE_URL: must start with postgres/);
    expect(refused({ ORDERLY_ADMIN_EMAIL: 'a@b.c' })).toMatch(/ORDERLY_ADMIN_EMAIL and ORDERLY_ADMIN_PASSWORD must be set together/);
    expect(refused({ ORDERLY_ADMIN_EMAIL: 'a@b.c', ORDERLY_ADMIN_PASSWORD: 'short' })).toMatch(
      /ORDERLY_ADMIN_PASSWORD: must be at least 8/,
    );
    expect(refused({ ORDERLY_RATE_LIMITS: 'login=ten' })).toMatch(/ORDERLY_RATE_LIMITS: "login=ten" is not class=requests\/seconds/);
    expect(refused({ ORDERLY_RATE_LIMITS: 'lunch=1/1' })).toMatch(/unknown class "lunch"/);
    expect(refused({ ORDERLY_WEBHOOK_RETRY_SCHEDULE: '5s,soon' })).toMatch(/ORDERLY_WEBHOOK_RETRY_SCHEDULE: "soon" is not a duration/);
    expect(refused({ ORDERLY_NOTIFICATION_USER_LIMIT: '0/10' })).toMatch(/ORDERLY_NOTIFICATION_USER_LIMIT/);
    expect(refused({ ORDERLY_NOTIFICATION_CHANNEL_LIMITS: 'fax=1/1' })).toMatch(/not channel=count\/seconds/);
    expect(refused({ ORDERLY_FAULT: 'explode' })).toMatch(/ORDERLY_FAULT/);
    expect(refused({ NATS_URL: 'nats://127.0.0.1:4222' })).toMatch(/NATS_URL: NATS JetStream needs PostgreSQL/);
    expect(refused({ NATS_URL: 'http://x', DATABASE_URL: 'postgres://u@h/db' })).toMatch(/NATS_URL/);
    expect(refused({ NATS_URL: 'nats://x', DATABASE_URL: 'postgres://u@h/db', ORDERLY_NATS_PARTITIONS: '0' })).toMatch(
      /ORDERLY_NATS_PARTITIONS/,
    );
  });

  it('reads retention durations, with their defaults, and refuses ones too short or not durations', () => {
    expect(loadConfig({}).retention).toEqual({
      webhookAttemptsMs: 30 * 86_400_000,
      notificationsMs: 90 * 86_400_000,
      deadLettersMs: 30 * 86_400_000,
      sessionsMs: 7 * 86_400_000,
      everyMs: 600_000,
    });
    expect(
      loadConfig({
        ORDERLY_RETENTION_WEBHOOK_ATTEMPTS: '12h',
        ORDERLY_RETENTION_NOTIFICATIONS: '1s',
        ORDERLY_RETENTION_DEAD_LETTERS: '90m',
        ORDERLY_RETENTION_SESSIONS: '2d',
        ORDERLY_RETENTION_EVERY: '250ms',
      }).retention,
    ).toEqual({ webhookAttemptsMs: 43_200_000, notificationsMs: 1000, deadLettersMs: 5_400_000, sessionsMs: 172_800_000, everyMs: 250 });
    expect(refused({ ORDERLY_RETENTION_SESSIONS: 'a week' })).toMatch(/ORDERLY_RETENTION_SESSIONS: "a week" is not a duration/);
    expect(refused({ ORDERLY_RETENTION_DEAD_LETTERS: '500ms' })).toMatch(/ORDERLY_RETENTION_DEAD_LETTERS: at least 1s/);
    expect(refused({ ORDERLY_RETENTION_EVERY: '10ms' })).toMatch(/ORDERLY_RETENTION_EVERY: at least 100ms/);
  });

  it('documents every setting for orderly help', () => {
    const lines = describeSettings();
    for (const name of ['PORT', 'DATABASE_URL', 'ORDERLY_IDEMPOTENCY_LEASE_MS', 'ORDERLY_WEBHOOK_RETRY_SCHEDULE'])
      expect(lines.some((l) => l.startsWith(name))).toBe(true);
  });
});
