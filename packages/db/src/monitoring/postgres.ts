import type postgres from "postgres";
import type { DatabaseRole } from "./events.ts";
import { forgetPool, trackPool } from "./pool.ts";
import { report, type Scope } from "./report.ts";

/**
 * Times every statement a postgres.js client runs, without changing what Drizzle gets back.
 *
 * Drizzle sends everything through `client.unsafe(text, params)` (and `.values()` on the result,
 * which returns the same object), and runs transactions through `client.begin` / `savepoint`,
 * whose callbacks receive a new `sql` object with its own `unsafe`. So the hook wraps `unsafe`
 * on the client and on every transaction scope, and watches each returned query object in place:
 * - postgres.js queries are lazy: nothing is sent until the query is awaited (`handle()`), so
 *   that is when the request for a connection starts;
 * - the connection marks the query `active` when the server starts on it (after waiting for a
 *   free connection, or behind a pipelined query): the duration is measured from there. That
 *   flag is watched by an accessor on postgres.js's Query prototype (see `hookQueryClass`);
 * - it settles through `query.resolve` / `query.reject`, wrapped to stop the clock.
 * COMMIT and ROLLBACK are issued by postgres.js itself (not through `unsafe`): they are timed
 * as the span between the end of the transaction's callback and the end of `begin`.
 *
 * With `prepareParameterised`, every statement that has parameters is sent as a named prepared
 * statement, whatever the caller asked: Drizzle's `db.execute()` passes `prepare: false`
 * (drizzle-orm/postgres-js/session.js prepares only queries given a name), so without this every
 * statement is parsed, described and planned on every call, in two round trips. Prepared, it is
 * parsed once per connection and then costs one round trip (Bind + Execute), and PostgreSQL may
 * settle on a generic plan after five executions when that plan is no costlier. The statement
 * texts of the query layer are a bounded set (values are always parameters), so postgres.js's
 * per-connection statement cache stays small. Statements without parameters keep the simple
 * protocol (one message, nothing to cache).
 *
 * Returns the same client, instrumented.
 */

interface PendingQuery {
  handle(): Promise<void>;
  resolve(value: unknown): unknown;
  reject(error: unknown): unknown;
  active: boolean;
}

type AnyFunction = (...args: unknown[]) => unknown;

interface ScopeSql {
  unsafe: (...args: unknown[]) => PendingQuery;
  savepoint?: (...args: unknown[]) => Promise<unknown>;
}

interface ClientSql extends ScopeSql {
  begin: (...args: unknown[]) => Promise<unknown>;
  reserve: () => Promise<ScopeSql & { release: AnyFunction }>;
  end: AnyFunction;
  close: AnyFunction;
}

export interface InstrumentOptions {
  /** Send statements with parameters as named prepared statements (see above). */
  prepareParameterised?: boolean;
}

export function instrumentPostgres<S extends postgres.Sql<Record<string, unknown>>>(
  sql: S,
  database: DatabaseRole,
  options: InstrumentOptions = {},
): S {
  const prepare = options.prepareParameterised === true;
  const client = sql as unknown as ClientSql;
  const pool = trackPool(database, "postgres", sql.options.max);
  const base = { database, driver: "postgres" as const, pool };
  const outside: Scope = { ...base, dedicated: false, inTransaction: false };
  const inTransaction: Scope = { ...base, dedicated: true, inTransaction: true };
  const reserved: Scope = { ...base, dedicated: true, inTransaction: false };
  // Set while `begin` runs synchronously: the one `unsafe` call it makes then is its BEGIN.
  const beginning = { now: false };

  // A query object is lazy: made and dropped unsent, it only shows the class.
  hookQueryClass(client.unsafe("select 1"));
  instrumentScope(client, outside, beginning);

  const begin = client.begin;
  client.begin = (...args: unknown[]) => {
    const last = args.length - 1;
    const body = args[last];
    if (typeof body !== "function") return begin.apply(client, args);
    let bodyEndedAt: number | undefined;
    let bodyOk = false;
    const ended = (ok: boolean) => {
      bodyEndedAt = performance.now();
      bodyOk = ok;
    };
    args[last] = (tx: ScopeSql) => {
      instrumentScope(tx, inTransaction);
      let result: unknown;
      try {
        result = body(tx);
      } catch (error) {
        ended(false);
        throw error;
      }
      // postgres.js accepts an array of queries from the callback and awaits them all.
      const settled = Array.isArray(result) ? Promise.all(result) : Promise.resolve(result);
      return settled.then(
        (value) => {
          ended(true);
          return value;
        },
        (error: unknown) => {
          ended(false);
          throw error;
        },
      );
    };
    pool.acquire();
    beginning.now = true;
    let transaction: Promise<unknown>;
    try {
      transaction = begin.apply(client, args);
    } finally {
      beginning.now = false;
    }
    const finish = (ok: boolean, error?: unknown) => {
      pool.release();
      // No callback end: BEGIN itself failed, and its own event says so.
      if (bodyEndedAt === undefined) return;
      const durationMs = performance.now() - bodyEndedAt;
      if (bodyOk) report(inTransaction, "commit", [], { durationMs, waitMs: 0, ok, error });
      else report(inTransaction, "rollback", [], { durationMs, waitMs: 0, ok: true });
    };
    transaction.then(
      () => finish(true),
      (error: unknown) => finish(false, error),
    );
    return transaction;
  };

  const reserve = client.reserve;
  client.reserve = async () => {
    pool.acquire();
    let connection: Awaited<ReturnType<ClientSql["reserve"]>>;
    try {
      connection = await reserve.apply(client);
    } catch (error) {
      pool.release();
      throw error;
    }
    instrumentScope(connection, reserved);
    const release = connection.release;
    let released = false;
    connection.release = (...args: unknown[]) => {
      if (!released) pool.release();
      released = true;
      return release.apply(connection, args);
    };
    return connection;
  };

  for (const name of ["end", "close"] as const) {
    const original = client[name];
    client[name] = (...args: unknown[]) => {
      forgetPool(pool);
      return original.apply(client, args);
    };
  }
  return sql;

  function instrumentScope(target: ScopeSql, scope: Scope, flags?: { now: boolean }): void {
    const unsafe = target.unsafe;
    target.unsafe = (...args: unknown[]) => {
      const isBegin = flags?.now === true;
      if (flags) flags.now = false;
      if (prepare) preparing(args);
      // Arguments passed as given: postgres.js reads `arguments.length` to tell params from options.
      const query = unsafe.apply(target, args);
      const params = Array.isArray(args[1]) ? (args[1] as unknown[]) : [];
      // postgres.js sends `begin ` plus the options: trimmed, it reads like the COMMIT it pairs with.
      const statement = isBegin ? String(args[0]).trim() : String(args[0]);
      watch(query, statement, params, isBegin ? inTransaction : scope);
      return query;
    };
    const savepoint = target.savepoint;
    if (scope.inTransaction && typeof savepoint === "function") {
      target.savepoint = (...args: unknown[]) => {
        const last = args.length - 1;
        const body = args[last];
        if (typeof body === "function") {
          args[last] = (inner: ScopeSql) => {
            instrumentScope(inner, scope);
            return body(inner);
          };
        }
        return savepoint.apply(target, args);
      };
    }
  }
}

/**
 * `unsafe(text, params, options)` arguments rewritten in place to prepare the statement when it
 * has parameters. `unsafe(text, options)` (no params) is left alone.
 */
function preparing(args: unknown[]): void {
  const params = args[1];
  if (!Array.isArray(params) || params.length === 0) return;
  const options = args[2];
  args[2] = options !== null && typeof options === "object" ? { ...options, prepare: true } : { prepare: true };
}

const STARTED = Symbol("coursebase.query.startedAt");
const ACTIVE = Symbol("coursebase.query.active");

/**
 * Notes when the server starts on each query, with an accessor for `active` on the prototype of
 * postgres.js's Query class, installed once per process. An accessor defined on each instance
 * instead would turn every query object into a slow dictionary-mode object (measured here: ~15 µs
 * per statement); on the prototype, the constructor's `this.active = false` goes through the
 * setter and instances keep one stable shape. It stores the same value it is given, so every
 * postgres.js client in the process behaves as before; only instrumented ones read the time.
 */
function hookQueryClass(sample: object): void {
  const prototype = Object.getPrototypeOf(sample) as object;
  if (Object.getOwnPropertyDescriptor(prototype, "active")) return;
  Object.defineProperty(prototype, "active", {
    configurable: true,
    get(this: { [ACTIVE]?: boolean }) {
      return this[ACTIVE] ?? false;
    },
    set(this: { [ACTIVE]?: boolean; [STARTED]?: number }, value: boolean) {
      if (value && this[STARTED] === undefined) this[STARTED] = performance.now();
      this[ACTIVE] = value;
    },
  });
}

/** Watches one query object in place: same object, same methods, a clock around its life. */
function watch(query: PendingQuery, statement: string, params: readonly unknown[], scope: Scope): void {
  let sentAt: number | undefined;
  let settled = false;

  const handle = query.handle;
  query.handle = function (this: PendingQuery) {
    if (sentAt === undefined) {
      sentAt = performance.now();
      if (!scope.dedicated) scope.pool.acquire();
    }
    return handle.call(this);
  };

  const settle = (ok: boolean, error?: unknown) => {
    if (settled || sentAt === undefined) return;
    settled = true;
    const endedAt = performance.now();
    if (!scope.dedicated) scope.pool.release();
    // Should a postgres.js release stop marking `active`, the wait counts as execution.
    const began = (query as PendingQuery & { [STARTED]?: number })[STARTED] ?? sentAt;
    report(scope, statement, params, { durationMs: endedAt - began, waitMs: began - sentAt, ok, error });
  };
  const resolve = query.resolve;
  const reject = query.reject;
  query.resolve = (value: unknown) => {
    const result = resolve(value);
    settle(true);
    return result;
  };
  query.reject = (error: unknown) => {
    const result = reject(error);
    settle(false, error);
    return result;
  };
}
