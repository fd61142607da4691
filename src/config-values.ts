import { isIP } from 'node:net';
import path from 'node:path';
import type { DatabaseConfig } from './platform/db/database.js';
import type { Env } from './settings.js';
import type { Quota } from './platform/http/rate-limits/buckets.js';
import { parseSecretKey, type SecretKey } from './platform/secrets/secret-box.js';
import type { SecretKeySettings } from './platform/secrets/secret-keys.js';

// The values settings hold as text (durations, quotas, addresses, database URLs), read into numbers or refused by name.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `100ms`, `5s`, `5m`, `2h`, `1d`. */
export function durationMs(name: string, text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new ConfigError(`invalid configuration:\n  ${name}: "${text}" is not a duration such as 100ms, 5s, 5m, 2h or 1d`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export function quotaOf(name: string, text: string): Quota {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1)
    throw new ConfigError(`invalid configuration:\n  ${name}: "${text}" is not count/seconds, e.g. 20/3600`);
  return { quota: Number(match[1]), windowMs: Number(match[2]) * 1000 };
}

export function channelQuotas(text: string): Record<'email' | 'sms' | 'push', Quota> {
  const quotas = { email: { quota: 100, windowMs: 1000 }, sms: { quota: 10, windowMs: 1000 }, push: { quota: 100, windowMs: 1000 } };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [channel, quota] = part.split('=');
    if (channel !== 'email' && channel !== 'sms' && channel !== 'push') {
      throw new ConfigError(
        `invalid configuration:\n  ORDERLY_NOTIFICATION_CHANNEL_LIMITS: "${part}" is not channel=count/seconds for email, sms or push`,
      );
    }
    quotas[channel] = quotaOf('ORDERLY_NOTIFICATION_CHANNEL_LIMITS', quota ?? '');
  }
  return quotas;
}

/** proxy-addr's forms: addresses, CIDRs, and its names for whole ranges. */
export function trustedProxies(text: string | undefined): string[] {
  const entries = (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
    const maxBits = isIP(address ?? '') === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (!named && (isIP(address ?? '') === 0 || !validBits || rest.length > 0))
      throw new ConfigError(
        `invalid configuration:\n  ORDERLY_TRUSTED_PROXIES: "${entry}" is not an address, a CIDR, loopback, linklocal or uniquelocal`,
      );
  }
  return entries;
}

/** Exact origins (`https://shop.example`, `http://localhost:5173`): no wildcard, since credentials are allowed. */
export function corsOrigins(text: string | undefined): string[] {
  const entries = (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const entry of entries) {
    let origin: string | null = null;
    try {
      const url = new URL(entry);
      if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
    } catch {}
    if (origin !== entry)
      throw new ConfigError(
        `invalid configuration:\n  ORDERLY_CORS_ORIGINS: "${entry}" is not an origin such as https://shop.example (scheme, host and port only; no wildcard, no path)`,
      );
  }
  return entries;
}

/** DATABASE_URL (and a replica beside it) as the database to open: SQLite under the data directory by default. */
export function databaseConfig(e: Env): DatabaseConfig {
  const url = e.DATABASE_URL;
  if (url === undefined && e.DATABASE_REPLICA_URL !== undefined)
    throw new ConfigError('invalid configuration:\n  DATABASE_REPLICA_URL: a read replica needs PostgreSQL as DATABASE_URL');
  if (url === undefined) return { kind: 'sqlite', file: path.join(path.resolve(e.ORDERLY_DATA_DIR), 'orderly.db') };
  if (/^postgres(ql)?:\/\//.test(url)) {
    const replicaUrl = e.DATABASE_REPLICA_URL;
    if (replicaUrl !== undefined && !/^postgres(ql)?:\/\//.test(replicaUrl))
      throw new ConfigError('invalid configuration:\n  DATABASE_REPLICA_URL: must start with postgres:// or postgresql://');
    return { kind: 'postgres', url, poolSize: e.ORDERLY_DB_POOL_SIZE, ...(replicaUrl === undefined ? {} : { replicaUrl }) };
  }
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: path.resolve(url.slice('sqlite:'.length).replace(/^\/\//, '')) };
  throw new ConfigError('invalid configuration:\n  DATABASE_URL: must start with postgres://, postgresql:// or sqlite:');
}

/** ORDERLY_SECRET_KEY and the comma-separated ORDERLY_SECRET_KEY_PREVIOUS, each refused by name when it is not a 32-byte key. */
export function secretKeys(e: Env): SecretKeySettings {
  const parse = (name: string, text: string): SecretKey => {
    try {
      return parseSecretKey(text);
    } catch (error) {
      // Never the value itself: it is a key.
      throw new ConfigError(`invalid configuration:\n  ${name}: ${(error as Error).message}`);
    }
  };
  const previous = (e.ORDERLY_SECRET_KEY_PREVIOUS ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => parse('ORDERLY_SECRET_KEY_PREVIOUS', part));
  return { current: e.ORDERLY_SECRET_KEY === undefined ? null : parse('ORDERLY_SECRET_KEY', e.ORDERLY_SECRET_KEY), previous };
}
