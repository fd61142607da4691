import pg from 'pg';
import { sample, scrape } from './metrics.js';

/** How many orders have finished (confirmed or cancelled), and how many of those were confirmed. */
export interface Progress {
  finished(): Promise<number>;
  confirmed(): Promise<number>;
  close(): Promise<void>;
}

/** Counted in PostgreSQL's orders table. */
export function sqlProgress(url: string): Progress {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  const count = async (statuses: string[]) => {
    await connected;
    const { rows } = await client.query('select count(*) as n from orders where status = any($1)', [statuses]);
    return Number(rows[0].n);
  };
  return { finished: () => count(['confirmed', 'cancelled']), confirmed: () => count(['confirmed']), close: () => client.end() };
}

/** Counted from one process's metrics (the embedded default, whose database another process should not open). */
export function metricsProgress(base: string): Progress {
  const completed = async (labels: Record<string, string>) => sample(await scrape(base), 'orderly_orders_completed_total', labels);
  return { finished: () => completed({}), confirmed: () => completed({ outcome: 'confirmed' }), close: async () => undefined };
}

/** Waits until `count` orders have finished, failing after `withinMs`. */
export async function untilFinished(progress: Progress, count: number, withinMs = 300_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while ((await progress.finished()) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} orders finished within ${withinMs / 60_000} minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
