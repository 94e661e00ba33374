import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type DatabaseConfig, databaseConfigFromEnv } from "./config.ts";
import { migratePgliteClient, migratePostgresUrl } from "./migrate.ts";
import { instrumentPglite, instrumentPostgres } from "./monitoring/index.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** What query functions take: either driver, through Drizzle's common PostgreSQL surface. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  /** Database used for analytics and search reads: the replica when configured, else `db`. */
  readDb: Database;
  driver: "postgres" | "pglite";
  /** Applies pending migrations to this database (the primary). */
  migrate(): Promise<void>;
  /** The postgres.js client (undefined on PGlite), for pool metrics and bare-SQL benchmarks. */
  sql?: postgres.Sql;
  /** The PGlite instance (undefined on PostgreSQL). */
  pglite?: PGlite;
  close(): Promise<void>;
}

function postgresClient(url: string, config: DatabaseConfig): postgres.Sql {
  const { pool } = config;
  return postgres(url, {
    max: pool.max,
    idle_timeout: pool.idleTimeoutSeconds,
    connect_timeout: pool.connectTimeoutSeconds,
    // Named prepared statements, parsed once per connection. Drizzle asks postgres.js not to
    // prepare `db.execute()` statements: instrumentPostgres overrides that (prepareParameterised).
    prepare: pool.prepare,
    onnotice: () => {},
    connection: {
      application_name: pool.applicationName,
      statement_timeout: pool.statementTimeoutMs,
      idle_in_transaction_session_timeout: pool.idleInTransactionTimeoutMs,
      // JIT compilation costs 100-400 ms on analytics statements and pays off only for long
      // batch queries, never for an API call.
      jit: "off",
    },
  });
}

/** Timestamps bound as parameters of raw SQL may be Dates, as they may on PGlite. */
const serializeTimestamp = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

function drizzleOverPostgres(sql: postgres.Sql): Database {
  const db = drizzlePostgres({ client: sql, schema }) as unknown as Database;
  // Drizzle makes the date/time serializers pass values through untouched (its typed columns
  // convert first); raw sql`` parameters skip that conversion, so accept Dates here.
  for (const oid of [1082, 1114, 1184]) sql.options.serializers[oid] = serializeTimestamp;
  return db;
}

/**
 * One factory for both engines: a URL gives PostgreSQL through a pooled postgres.js client;
 * no URL gives embedded PGlite (real PostgreSQL compiled to WASM) under `config.dataDir`.
 */
export async function createDatabase(overrides: Partial<DatabaseConfig> = {}): Promise<DatabaseHandle> {
  const config = { ...databaseConfigFromEnv(), ...overrides };
  if (config.url) {
    const url = config.url;
    // Query monitoring (monitoring/postgres.ts): every statement timed, on both clients.
    const instrument = { prepareParameterised: config.pool.prepare };
    const sql = instrumentPostgres(postgresClient(url, config), "primary", instrument);
    const db = drizzleOverPostgres(sql);
    const readSql = config.readUrl
      ? instrumentPostgres(postgresClient(config.readUrl, config), "replica", instrument)
      : undefined;
    const readDb = readSql ? drizzleOverPostgres(readSql) : db;
    return {
      db,
      readDb,
      driver: "postgres",
      sql,
      migrate: () => migratePostgresUrl(url),
      async close() {
        await Promise.all([sql.end({ timeout: 5 }), readSql?.end({ timeout: 5 })]);
      },
    };
  }
  // PGlite does not create its directory's parents (a fresh clone has no ./.data yet).
  if (!config.dataDir.includes("://")) mkdirSync(config.dataDir, { recursive: true });
  // Query monitoring (monitoring/pglite.ts): every statement timed.
  const client = instrumentPglite(await PGlite.create(config.dataDir));
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  return {
    db,
    readDb: db,
    driver: "pglite",
    pglite: client,
    migrate: () => migratePgliteClient(client),
    async close() {
      if (!client.closed) await client.close();
    },
  };
}
