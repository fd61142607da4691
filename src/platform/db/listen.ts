import { CompiledQuery } from 'kysely';
import pg from 'pg';
import type { Logger } from '../observability/logger.js';
import type { Executor } from './database.js';

/** A LISTEN on one PostgreSQL channel, kept up across lost connections. */
export interface Listener {
  close(): Promise<void>;
}

/**
 * Calls `heard` on every NOTIFY on `channel`, from its own connection (a pooled one would be handed to
 * queries and lose the LISTEN). A lost connection is opened again, with a growing pause, and `heard` is
 * called once it is back: what was sent meanwhile was missed, so the listener should look for itself.
 */
export function listen(url: string, channel: string, heard: () => void, logger: Logger): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = 100;
  let timer: NodeJS.Timeout | null = null;

  async function connect(): Promise<void> {
    if (closed) return;
    const next = new pg.Client({ connectionString: url });
    next.on('notification', heard);
    next.on('error', (error) => {
      logger.warn({ err: error, channel }, 'LISTEN connection lost; reconnecting');
      void next.end().catch(() => undefined);
      if (client === next) reconnect();
    });
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      retryMs = 100;
      heard();
    } catch (error) {
      logger.warn({ err: error, channel }, 'could not LISTEN; retrying');
      void next.end().catch(() => undefined);
      reconnect();
    }
  }

  function reconnect(): void {
    client = null;
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, 5_000);
  }

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}

/** Inside a transaction: tells every listener on `channel` once the transaction commits (NOTIFY waits for the commit). */
export async function notifyOnCommit(tx: Executor, channel: string): Promise<void> {
  await tx.executeQuery(CompiledQuery.raw('select pg_notify($1, $2)', [channel, '']));
}
