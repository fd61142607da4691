import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { retryDelayMs } from '../../src/platform/messaging/retry.js';

describe('retry schedules', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 60_000 };

  it('doubles the bus backoff per failed attempt, capped, jittered to 50–100 %', () => {
    const at = (attempts: number, random: number) => retryDelayMs(policy, attempts, () => random);
    expect([1, 2, 3, 4].map((n) => at(n, 1))).toEqual([200, 400, 800, 1600]);
    expect([1, 2, 3, 4].map((n) => at(n, 0))).toEqual([100, 200, 400, 800]);
    expect(at(20, 1)).toBe(60_000);
    expect(at(20, 0)).toBe(30_000);
    for (let i = 0; i < 100; i += 1) {
      const d = retryDelayMs(policy, 3);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('reads the webhook schedule in its units, defaulting to the documented one', () => {
    expect(loadConfig({}).webhooks.retryScheduleMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(loadConfig({ ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms, 2s,1m,1h,1d' }).webhooks.retryScheduleMs).toEqual([
      100, 2000, 60_000, 3_600_000, 86_400_000,
    ]);
  });
});
