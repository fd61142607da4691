import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { OrderArchivePart } from '../platform/archive/part.js';
import { encodeRecords } from '../platform/archive/records.js';
import type { Database } from '../platform/db/database.js';
import type { ArchiveEntry, OrderArchive } from '../modules/orders/index.js';

/** What the archiver needs of a built Orderly. */
export interface ArchiverDeps {
  database: Database;
  orders: OrderArchive;
  /** Other modules' records of an order, stored with it and deleted with it. */
  parts: OrderArchivePart[];
}

/** The archiver's needs, from the modules that keep an order's records. */
export function archiverDepsOf(core: {
  database: Database;
  modules: { orders: { archive: OrderArchive }; payments: { archivePart: OrderArchivePart }; shipping: { archivePart: OrderArchivePart } };
}): ArchiverDeps {
  const { orders, payments, shipping } = core.modules;
  return { database: core.database, orders: orders.archive, parts: [payments.archivePart, shipping.archivePart] };
}

export interface ArchiveOptions {
  /** Orders in a final state unchanged since before this moment go. */
  before: string;
  /** Orders per archive file. */
  batch?: number;
  progress?: (line: string) => void;
  /** Tests: SIGKILL this process once a file is stored, before its orders leave the hot tables. */
  killAfterFile?: boolean;
}

export interface ArchiveRun {
  /** False when another process holds the archiver's lease. */
  ran: boolean;
  archived: number;
  files: number;
  /** Files a crashed run left behind without having moved their orders, removed. */
  abandoned: number;
}

const LEASE_MS = 30_000;

/** A holder `host:pid:…` that was a process of this machine and is no more (kill -9): its lease is void. */
function holderIsGone(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== os.hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves final orders older than the cut-off to cold storage, a file at a time, crash-safe: a file is
 * announced, then written whole and synced, and only then, in one transaction, indexed while the order's
 * rows (and its payment's and shipment's) are deleted and the file marked stored. A crash before that
 * commit leaves the orders where they were and the file announced but not stored, which the next run
 * removes; after it, the orders are only in the file. Either way each order is in exactly one place.
 */
export async function archiveOrders(deps: ArchiverDeps, options: ArchiveOptions): Promise<ArchiveRun> {
  const { orders } = deps;
  const say = options.progress ?? (() => {});
  const batch = options.batch ?? 1000;
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  if (!(await orders.takeLease(owner, LEASE_MS, holderIsGone))) return { ran: false, archived: 0, files: 0, abandoned: 0 };
  const run: ArchiveRun = { ran: true, archived: 0, files: 0, abandoned: 0 };
  try {
    for (const name of await orders.unfinishedFiles()) {
      await orders.forgetFile(name);
      run.abandoned += 1;
      say(`removed ${name}, left unfinished by an earlier run (its orders never left)`);
    }
    let refused = 0;
    for (;;) {
      await orders.takeLease(owner, LEASE_MS);
      const ids = (await orders.candidates(options.before, batch)).map((c) => c.id);
      if (ids.length === 0) break;
      const records = await orders.records(ids);
      const parts = await Promise.all(deps.parts.map(async (part) => ({ name: part.name, records: await part.records(ids) })));
      const file = encodeRecords(
        ids.map((id) => ({
          key: id,
          value: { ...records.get(id)!, ...Object.fromEntries(parts.map((p) => [p.name, p.records.get(id) ?? null])) },
        })),
      );
      const name = `orders-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.jsonl.gz`;
      await orders.announceFile(name, ids.length);
      await orders.store.put(name, file.content);
      if (options.killAfterFile) process.kill(process.pid, 'SIGKILL');
      const entries: ArchiveEntry[] = ids.map((id) => ({ order: records.get(id)!.order, place: file.places.get(id)! }));
      const moved = await deps.database.transaction(async (tx) => {
        if (!(await orders.moveToArchive(tx, { name, sha256: file.sha256 }, entries))) return false;
        for (const part of deps.parts) await part.forget(tx, ids);
        return true;
      });
      if (!moved) {
        // An order changed after it was read: this file goes, and the batch is read again.
        await orders.forgetFile(name);
        if ((refused += 1) >= 3) throw new Error('orders kept changing while being archived; try again later');
        continue;
      }
      run.archived += ids.length;
      run.files += 1;
      say(`archived ${ids.length} order(s) into ${name} (${(file.content.length / 1024).toFixed(0)} KB)`);
    }
  } finally {
    await orders.releaseLease(owner);
  }
  return run;
}
