import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

// Kysely<object> is database.ts's Executor, named here without importing it back.
type Executor = Kysely<object>;

/** A query of fixed shape, run with new values on the database or a transaction of it. */
export interface Prepared<P> {
  execute<R = unknown>(executor: Executor, values: P): Promise<QueryResult<R>>;
}

const PLACEHOLDER = '\u0000orderly-placeholder:';

// Stand-ins for the values, one per name asked for; Kysely binds them as parameters like any string.
function placeholders<P>(prefix = ''): P {
  return new Proxy({}, { get: (_, name) => `${PLACEHOLDER}${prefix}${String(name)}` }) as P;
}

interface Statement<V> {
  sql: string;
  args(values: V): unknown[];
}

/** Where each placeholder landed among the compiled parameters (the others are constants), and how to fill it. */
function statement<V>(query: CompiledQuery, pick: (name: string, values: V) => unknown): Statement<V> {
  const slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(PLACEHOLDER) ? p.slice(PLACEHOLDER.length) : null));
  return { sql: query.sql, args: (values) => slots.map((slot, i) => (slot === null ? query.parameters[i] : pick(slot, values))) };
}

/**
 * Builds and compiles a query once and runs the compiled statement with the values of each call. Kysely
 * builds and compiles a query anew on every call, and for the bus's small statements on SQLite that cost
 * more than running them. `build` receives stand-ins for the values, to be read by name and used as plain
 * values (compared, inserted or set), never as identifiers or SQL. `compiler` is the database the statement
 * will run on (or a transaction of it), for its dialect.
 */
export function prepare<P extends object>(compiler: Executor, build: (db: Executor, values: P) => Compilable<unknown>): Prepared<P> {
  let compiled: Statement<P> | null = null;
  return {
    execute<R>(executor: Executor, values: P) {
      compiled ??= statement(build(compiler, placeholders<P>()).compile(), (name, v) => (v as Record<string, unknown>)[name]);
      return executor.executeQuery<R>(CompiledQuery.raw(compiled.sql, compiled.args(values)));
    },
  };
}

/** `prepare` for statements over a list of rows (a multi-row insert): one compiled statement per row count. */
export function prepareRows<P extends object>(compiler: Executor, build: (db: Executor, rows: P[]) => Compilable<unknown>): Prepared<P[]> {
  const byCount = new Map<number, Statement<P[]>>();
  return {
    execute<R>(executor: Executor, rows: P[]) {
      let compiled = byCount.get(rows.length);
      if (!compiled) {
        compiled = statement(
          build(
            compiler,
            rows.map((_, i) => placeholders<P>(`${i}.`)),
          ).compile(),
          (slot, values) => {
            const dot = slot.indexOf('.');
            return (values[Number(slot.slice(0, dot))] as Record<string, unknown>)[slot.slice(dot + 1)];
          },
        );
        byCount.set(rows.length, compiled);
      }
      return executor.executeQuery<R>(CompiledQuery.raw(compiled.sql, compiled.args(rows)));
    },
  };
}
