import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

/** The outcome of taking one token from a bucket of `quota` tokens refilled evenly over `windowMs`. */
export interface Take {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
  /** Until the next token, when refused (0 when allowed). */
  retryAfterMs: number;
}

/** A bucket's size and how long it takes to refill. */
export interface Quota {
  quota: number;
  windowMs: number;
}

export interface BucketStore {
  readonly kind: 'memory' | 'redis';
  take(key: string, quota: number, windowMs: number): Promise<Take>;
  close(): Promise<void>;
}

function outcome(tokensBefore: number, quota: number, windowMs: number): Take {
  const perMs = quota / windowMs;
  const allowed = tokensBefore >= 1;
  const left = allowed ? tokensBefore - 1 : tokensBefore;
  return {
    allowed,
    remaining: Math.floor(left),
    resetMs: Math.ceil((quota - left) / perMs),
    retryAfterMs: allowed ? 0 : Math.ceil((1 - left) / perMs),
  };
}

/** Buckets in this process: the embedded default. Idle buckets are full by definition, so forgetting them is safe. */
export function memoryBuckets(maxKeys = 100_000): BucketStore {
  const buckets = new LRUCache<string, { tokens: number; at: number }>({ max: maxKeys });
  return {
    kind: 'memory',
    async take(key, quota, windowMs) {
      const now = Date.now();
      const bucket = buckets.get(key);
      const tokens = bucket ? Math.min(quota, bucket.tokens + ((now - bucket.at) * quota) / windowMs) : quota;
      const result = outcome(tokens, quota, windowMs);
      buckets.set(key, { tokens: result.allowed ? tokens - 1 : tokens, at: now });
      return result;
    },
    async close() {},
  };
}

/**
 * Refill and take in one script, on Redis's clock, so every process shares one bucket per key and no two
 * can spend the same token. Returns the tokens there were before taking, as a string (Lua numbers would
 * be truncated to integers).
 */
const TAKE_SCRIPT = `
local quota = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = quota; at = now end
tokens = math.min(quota, tokens + math.max(0, now - at) * quota / window)
local left = tokens
if tokens >= 1 then left = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', left), 'at', now)
redis.call('PEXPIRE', KEYS[1], window)
return string.format('%.6f', tokens)
`;

type WithTake = Redis & { orderlyTake(key: string, quota: number, windowMs: number): Promise<string> };

export function redisBuckets(client: Redis, prefix = 'orderly:rl:'): BucketStore {
  client.defineCommand('orderlyTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const redis = client as WithTake;
  return {
    kind: 'redis',
    async take(key, quota, windowMs) {
      const before = Number(await redis.orderlyTake(`${prefix}${key}`, quota, windowMs));
      return outcome(before, quota, windowMs);
    },
    async close() {
      client.disconnect();
    },
  };
}
