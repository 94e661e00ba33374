import { APP_ROLE, type Database, schema } from "@coursebase/db";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

/**
 * "Bare SQL": the statements an operation executes, sent by postgres.js alone. The text and
 * parameters are captured from the query function itself (the same call the router makes, over
 * a Drizzle client whose logger records them), then replayed with `sql.unsafe(text, params)`:
 * no tRPC, no zod, no Drizzle, no query monitoring, no tenant transaction, and as the
 * connecting superuser (row-level security does not apply). The API / bare ratio is therefore
 * everything the API adds around the SQL.
 */

export interface Statement {
  text: string;
  params: unknown[];
}

/** Runs query functions once over an uninstrumented Drizzle client and records their statements. */
export function createStatementCapture(url: string) {
  const client = postgres(url, { max: 2, onnotice: () => {} });
  let sink: Statement[] | undefined;
  const db = drizzle({
    client,
    schema,
    logger: { logQuery: (text, params) => sink?.push({ text, params: [...params] }) },
  }) as unknown as Database;
  return {
    async capture(run: (db: Database) => Promise<unknown>): Promise<Statement[]> {
      sink = [];
      try {
        await run(db);
        return sink;
      } finally {
        sink = undefined;
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * Records the statements of a query function without running them (for writes): Drizzle over a
 * stand-in client that answers every statement with no rows. Only for functions whose SQL does
 * not depend on earlier answers (recordProgress sends its two statements whenever the first
 * finds no issue, which is what an empty answer says).
 */
export async function dryCapture(run: (db: Database) => Promise<unknown>): Promise<Statement[]> {
  const statements: Statement[] = [];
  const noRows = () => Object.assign(Promise.resolve([]), { values: () => Promise.resolve([]) });
  const client: Record<string, unknown> = { options: { parsers: {}, serializers: {} }, unsafe: noRows };
  client.begin = (body: (tx: unknown) => unknown) => body(client);
  client.savepoint = client.begin;
  const db = drizzle({
    client: client as unknown as postgres.Sql,
    schema,
    logger: { logQuery: (text, params) => statements.push({ text, params: [...params] }) },
  }) as unknown as Database;
  await run(db);
  return statements;
}

export interface BareRunner {
  /**
   * Runs the statements in turn. `prepare`: named prepared statements (parsed and planned once
   * per connection), else unnamed ones, as Drizzle sends `db.execute()` (it passes
   * `prepare: false`; postgres.js then parses, describes and binds on every call: two round
   * trips for a statement with parameters). `transaction`: inside BEGIN ... COMMIT.
   */
  run(statements: readonly Statement[], options: { prepare: boolean; transaction?: boolean }): Promise<unknown>;
  /** Prepared, inside the tenant transaction the API opens (BEGIN, set_config + statements pipelined, COMMIT). */
  inTenant(institutionId: string, statements: readonly Statement[]): Promise<unknown>;
  sql: postgres.Sql;
  close(): Promise<void>;
}

type Scope = postgres.Sql | postgres.TransactionSql;

async function runAll(scope: Scope, statements: readonly Statement[], prepare: boolean): Promise<unknown> {
  let last: unknown;
  for (const s of statements)
    last = await scope.unsafe(s.text, s.params as postgres.ParameterOrJSON<never>[], { prepare });
  return last;
}

/**
 * One pool per variant. A prepared statement's plan is tied to the role that planned it (under
 * row-level security the plan differs): a connection that ran it as the superuser and then as
 * `coursebase_app` in a tenant transaction re-plans it at every switch, and the variants would
 * measure each other's planning (0.6 -> 1.4 ms p50 for the dashboard's statement). The API's
 * own connections never switch: each statement always runs as the application role.
 */
function barePool(url: string): postgres.Sql {
  // jit off, as the API's pool (packages/db/src/client.ts).
  const sql = postgres(url, { max: 2, prepare: true, onnotice: () => {}, connection: { jit: "off" } });
  // Captured json/jsonb parameters are already text (Drizzle serialises them, and its client
  // passes them through): do the same, or postgres.js would encode them a second time.
  for (const oid of [114, 3802]) sql.options.serializers[oid] = (value: unknown) => value;
  return sql;
}

export function createBareRunner(url: string): BareRunner {
  const prepared = barePool(url);
  const unprepared = barePool(url);
  const tenant = barePool(url);
  return {
    sql: prepared,
    run: (statements, { prepare, transaction }) => {
      const sql = prepare ? prepared : unprepared;
      return transaction ? sql.begin((tx) => runAll(tx, statements, prepare)) : runAll(sql, statements, prepare);
    },
    // As packages/db/src/tenant.ts does it: set_config sent without waiting, pipelined with the
    // first statement, its result awaited at the end.
    inTenant: (institutionId, statements) =>
      tenant.begin(async (tx) => {
        const tenantSet = tx
          .unsafe(
            "select set_config('role', $1, true), set_config('app.institution_id', $2, true)",
            [APP_ROLE, institutionId],
            { prepare: true },
          )
          .execute();
        const result = await runAll(tx, statements, true);
        await tenantSet;
        return result;
      }),
    close: async () => {
      await Promise.all([prepared, unprepared, tenant].map((sql) => sql.end({ timeout: 5 })));
    },
  };
}
