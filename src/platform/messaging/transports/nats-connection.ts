import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../observability/logger.js';

export interface NatsLink {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** A connection to the broker that is made in the background and kept: the process starts, and serves, without it. */
export interface NatsConnector {
  /** The live link, or null while the broker cannot be reached. */
  current(): NatsLink | null;
  /** Resolves with the link once there is one (or rejects after `timeoutMs`). */
  ready(timeoutMs: number): Promise<NatsLink>;
  /** Called with each new link (the first, and after the client gave up and a new connection was made). */
  onLink(listener: (link: NatsLink) => void): void;
  close(): Promise<void>;
}

/**
 * Connects to `servers`, retrying with a growing pause while none answers, and lets the client reconnect
 * by itself once connected (it keeps trying forever; subscriptions and pulls resume when it is back).
 */
export function connectNats(servers: string[], name: string, logger: Logger): NatsConnector {
  let link: NatsLink | null = null;
  let closed = false;
  let retryMs = 250;
  let timer: NodeJS.Timeout | null = null;
  const listeners: ((link: NatsLink) => void)[] = [];
  const waiting: ((link: NatsLink) => void)[] = [];

  async function attempt(): Promise<void> {
    if (closed) return;
    try {
      const nc = await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 2_000 });
      if (closed) {
        await nc.close();
        return;
      }
      link = { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
      retryMs = 250;
      logger.info({ servers }, 'connected to NATS');
      void watch(nc);
      for (const listener of listeners) listener(link);
      for (const resolve of waiting.splice(0)) resolve(link);
    } catch (error) {
      logger.warn({ err: error, servers, retryMs }, 'NATS cannot be reached; retrying');
      timer = setTimeout(() => {
        timer = null;
        void attempt();
      }, retryMs);
      timer.unref();
      retryMs = Math.min(retryMs * 2, 5_000);
    }
  }

  async function watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') logger.warn({ servers }, 'NATS connection lost; reconnecting');
      if (status.type === 'reconnect') logger.info({ servers }, 'NATS connection back');
    }
  }

  void attempt();
  return {
    current: () => (link && !link.nc.isClosed() ? link : null),
    ready(timeoutMs) {
      if (link) return Promise.resolve(link);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`NATS (${servers.join(', ')}) not reachable within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((l) => {
          clearTimeout(t);
          resolve(l);
        });
      });
    },
    onLink(listener) {
      listeners.push(listener);
      if (link) listener(link);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const nc = link?.nc;
      link = null;
      if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
