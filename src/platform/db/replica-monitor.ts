import { CompiledQuery } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { Database } from './database.js';

export interface ReplicaMonitor {
  /** True while the replica answers and is no further behind than allowed: reads may go there. */
  usable(): boolean;
  /** What the last look saw: null lag when the replica did not answer. */
  state(): { up: boolean; lagMs: number | null };
  stop(): void;
}

const LOOK_EVERY_MS = 500;

/** A WAL position ("16/B374D848") as a number of bytes. */
function position(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * Watches the read replica twice a second. Each look notes the primary's WAL position and when it was seen;
 * the replica is as far behind as the time since the primary was last at (or before) the position the
 * replica has replayed: caught up, 0; missing a write made 3 s ago, about 3 s, whatever the primary did
 * before it. A replica that does not answer, or lags more than `maxLagMs`, is not read from until it is back.
 */
export function createReplicaMonitor(deps: { database: Database; maxLagMs: number; registry: Registry; logger: Logger }): ReplicaMonitor {
  const replica = deps.database.replica;
  let up = false;
  let lagMs: number | null = null;
  let wasUsable = true;
  // The primary's positions, oldest first, for as long as a lag worth telling apart from "too far behind".
  const seen: { at: number; position: bigint }[] = [];
  new Gauge({
    name: 'orderly_replica_lag_seconds',
    help: 'How far the read replica is behind the primary, to within half a second (absent while it does not answer)',
    registers: [deps.registry],
    collect() {
      if (lagMs === null) this.reset();
      else this.set(lagMs / 1000);
    },
  });
  new Gauge({
    name: 'orderly_replica_up',
    help: '1 while the read replica answers',
    registers: [deps.registry],
    collect() {
      this.set(up ? 1 : 0);
    },
  });
  const usable = () => up && lagMs !== null && lagMs <= deps.maxLagMs;

  async function look(): Promise<void> {
    if (!replica) return;
    try {
      const [primary, behind] = await Promise.all([
        deps.database.db.executeQuery<{ lsn: string }>(CompiledQuery.raw('select pg_current_wal_lsn()::text as lsn')),
        replica.executeQuery<{ lsn: string | null }>(CompiledQuery.raw('select pg_last_wal_replay_lsn()::text as lsn')),
      ]);
      const now = Date.now();
      seen.push({ at: now, position: position(primary.rows[0]!.lsn) });
      while (seen.length > 2 && seen[1]!.at < now - 2 * deps.maxLagMs - LOOK_EVERY_MS) seen.shift();
      const replayed = behind.rows[0]?.lsn;
      if (replayed == null) throw new Error('not a replica');
      const at = position(replayed);
      // The oldest look that saw the primary past what the replica has: it wrote something at most one look before.
      const firstAhead = seen.findIndex((look) => look.position > at);
      up = true;
      lagMs = firstAhead < 0 ? 0 : now - (firstAhead === 0 ? seen[0]!.at - LOOK_EVERY_MS : seen[firstAhead - 1]!.at);
    } catch {
      up = false;
      lagMs = null;
    }
    if (usable() !== wasUsable) {
      wasUsable = usable();
      if (wasUsable) deps.logger.info({ lagMs }, 'read replica in use again');
      else deps.logger.warn({ up, lagMs, maxLagMs: deps.maxLagMs }, 'read replica down or behind; reading from the primary');
    }
  }

  void look();
  const timer = setInterval(() => void look(), LOOK_EVERY_MS);
  timer.unref();
  return { usable, state: () => ({ up, lagMs }), stop: () => clearInterval(timer) };
}
