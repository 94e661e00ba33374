import type { PGlite } from "@electric-sql/pglite";
import type { DatabaseRole } from "./events.ts";
import { forgetPool, trackPool } from "./pool.ts";
import { report, type Scope } from "./report.ts";

/**
 * Times every statement a PGlite instance runs. Drizzle calls `client.query` (and `exec` to
 * migrate) and `client.transaction`, whose callback gets a transaction object with its own
 * `query` / `exec`: all are wrapped in place. PGlite has one connection behind a lock, so a
 * statement's time includes waiting for it; BEGIN is timed from the `transaction` call to the
 * callback, COMMIT / ROLLBACK from the callback's end to the transaction's.
 *
 * Returns the same instance, instrumented.
 */

type Run = (...args: unknown[]) => Promise<unknown>;

interface Queryable {
  query: Run;
  exec: Run;
}

interface Client extends Queryable {
  transaction: (callback: (tx: Queryable & { closed: boolean }) => Promise<unknown>) => Promise<unknown>;
  close: () => Promise<void>;
}

export function instrumentPglite(pglite: PGlite, database: DatabaseRole = "primary"): PGlite {
  const client = pglite as unknown as Client;
  const pool = trackPool(database, "pglite", 1);
  const base = { database, driver: "pglite" as const, pool };
  const outside: Scope = { ...base, dedicated: false, inTransaction: false };
  const inTransaction: Scope = { ...base, dedicated: true, inTransaction: true };

  instrument(client, outside);

  const transaction = client.transaction.bind(client);
  client.transaction = (callback) => {
    pool.acquire();
    const calledAt = performance.now();
    let bodyEndedAt: number | undefined;
    let committing = false;
    const run = transaction(async (tx) => {
      report(inTransaction, "begin", [], { durationMs: performance.now() - calledAt, waitMs: 0, ok: true });
      instrument(tx, inTransaction);
      try {
        const result = await callback(tx);
        committing = !tx.closed;
        return result;
      } finally {
        bodyEndedAt = performance.now();
      }
    });
    const finish = (ok: boolean, error?: unknown) => {
      pool.release();
      if (bodyEndedAt === undefined) return;
      const timing = { durationMs: performance.now() - bodyEndedAt, waitMs: 0 };
      if (committing) report(inTransaction, "commit", [], { ...timing, ok, error });
      else report(inTransaction, "rollback", [], { ...timing, ok: true });
    };
    run.then(
      () => finish(true),
      (error: unknown) => finish(false, error),
    );
    return run;
  };

  const close = client.close.bind(client);
  client.close = () => {
    forgetPool(pool);
    return close();
  };
  return pglite;
}

function instrument(target: Queryable, scope: Scope): void {
  const query = target.query.bind(target);
  const exec = target.exec.bind(target);
  target.query = (...args: unknown[]) =>
    timed(scope, String(args[0]), Array.isArray(args[1]) ? args[1] : [], () => query(...args));
  target.exec = (...args: unknown[]) => timed(scope, String(args[0]), [], () => exec(...args));
}

async function timed(scope: Scope, statement: string, params: readonly unknown[], run: () => Promise<unknown>) {
  if (!scope.dedicated) scope.pool.acquire();
  const startedAt = performance.now();
  try {
    const result = await run();
    report(scope, statement, params, { durationMs: performance.now() - startedAt, waitMs: 0, ok: true });
    return result;
  } catch (error) {
    report(scope, statement, params, { durationMs: performance.now() - startedAt, waitMs: 0, ok: false, error });
    throw error;
  } finally {
    if (!scope.dedicated) scope.pool.release();
  }
}
