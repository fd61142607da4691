import { AsyncLocalStorage } from 'node:async_hooks';

// Whether the reads of the work now running may go to the read replica: decided once per request by the
// edge (read-your-writes, the replica's health), and false for everything else (consumers, sweepers,
// commands), which read what they are about to write.
const decisions = new AsyncLocalStorage<boolean>();

/** Runs `fn` with its reads allowed on the replica, or not. */
export function readingFromReplica<T>(allowed: boolean, fn: () => T): T {
  return decisions.run(allowed, fn);
}

export function replicaAllowed(): boolean {
  return decisions.getStore() === true;
}
