import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { Database } from './platform/db/database.js';
import { createReplicaMonitor, type ReplicaMonitor } from './platform/db/replica-monitor.js';
import type { ReadinessCheck } from './platform/http/operations.js';
import { memoryWriters, redisWriters, type RecentWriters } from './platform/http/read-your-writes.js';
import type { Logger } from './platform/observability/logger.js';
import { createRedisClient } from './platform/redis/client.js';

export interface ReplicaReads {
  monitor: ReplicaMonitor;
  writers: RecentWriters;
  /** Reported by /readyz, never critical: without the replica every read goes to the primary. */
  readiness: ReadinessCheck;
  close(): Promise<void>;
}

/** With a read replica: its watcher, who wrote lately (shared through Redis when there is one), and its readiness; null without one. */
export function replicaReads(deps: { config: Config; database: Database; registry: Registry; logger: Logger }): ReplicaReads | null {
  const { config, database, logger } = deps;
  if (database.replica === null) return null;
  const { maxLagMs, readYourWritesMs } = config.readRouting;
  const monitor = createReplicaMonitor({ database, maxLagMs, registry: deps.registry, logger });
  const redis = config.redisUrl ? createRedisClient(config.redisUrl, logger, 'read-your-writes') : null;
  return {
    monitor,
    writers: redis ? redisWriters(redis, readYourWritesMs) : memoryWriters(readYourWritesMs),
    readiness: {
      name: 'replica',
      critical: false,
      details: () => monitor.state(),
      async check() {
        const { up, lagMs } = monitor.state();
        if (!monitor.usable()) throw new Error(up ? `${lagMs} ms behind (more than ${maxLagMs})` : 'not answering');
      },
    },
    async close() {
      monitor.stop();
      redis?.disconnect();
    },
  };
}
