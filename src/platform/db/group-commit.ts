import { AsyncResource } from 'node:async_hooks';
import { CompiledQuery, type Kysely } from 'kysely';

// Kysely<object> is database.ts's Executor, named here without importing it back (database.ts imports this file).
type Executor = Kysely<object>;

/** Runs `fn` in a transaction and resolves once what it wrote is committed. */
export type Transact = <T>(fn: (tx: Executor) => Promise<T>) => Promise<T>;

interface Member {
  fn: (tx: Executor) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How many transactions share one commit, and how long the first of them may wait for the rest. */
export interface GroupLimits {
  members: number;
  ms: number;
}

const savepoint = CompiledQuery.raw('savepoint member');
const release = CompiledQuery.raw('release member');
const rollbackTo = CompiledQuery.raw('rollback to member');

/**
 * Group commit for a database with one writer (SQLite): transactions that ask while one is open join it,
 * each in a savepoint of its own, and all are committed together. A commit costs the same for one
 * transaction as for thirty, and a saga step is one small transaction, so under load most of the cost of
 * a transaction was its commit. Each member still succeeds or fails alone: a member that throws is rolled
 * back to its savepoint and rejected at once; the others resolve only after the commit, so nobody acts on
 * a write that could still be lost. Nothing waits to form a group: a lone transaction commits at once.
 */
export function groupCommit(db: Executor, limits: GroupLimits): Transact {
  const queue: Member[] = [];
  let running = false;

  async function runGroup(): Promise<void> {
    const done = new Map<Member, unknown>();
    // The member whose savepoint is open: if the transaction fails under it, it is rejected with the rest.
    let current: Member | null = null;
    const started = Date.now();
    let taken = 0;
    try {
      await db.transaction().execute(async (tx) => {
        // Members that arrive while the group runs join it, up to the limits.
        while (queue.length > 0 && taken < limits.members && (taken === 0 || Date.now() - started < limits.ms)) {
          const member = queue.shift()!;
          taken += 1;
          current = member;
          await tx.executeQuery(savepoint);
          try {
            const value = await member.fn(tx);
            await tx.executeQuery(release);
            done.set(member, value);
            current = null;
          } catch (error) {
            current = null;
            member.reject(error);
            await tx.executeQuery(rollbackTo);
            await tx.executeQuery(release);
          }
        }
      });
    } catch (error) {
      // The transaction itself failed (it could not begin, or commit): nothing of the group was written.
      const failed = taken === 0 ? queue.splice(0) : [...done.keys(), ...(current ? [current] : [])];
      for (const member of failed) member.reject(error);
      return;
    }
    for (const [member, value] of done) member.resolve(value);
  }

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) await runGroup();
    } finally {
      running = false;
    }
  }

  return <T>(fn: (tx: Executor) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      // A member runs inside whichever group drains it: in its caller's async context (the request it serves).
      // A resource of its own, not AsyncResource.bind, which builds deprecation wrappers on every call.
      const scope = new AsyncResource('orderly.group-commit');
      const member = (tx: Executor) => scope.runInAsyncScope(fn, null, tx);
      queue.push({ fn: member, resolve: resolve as (value: unknown) => void, reject });
      if (!running) void drain();
    });
}
