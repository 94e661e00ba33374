import { resolve } from "node:path";

/** Database settings, read from the environment once; every field is overridable by callers. */
export interface DatabaseConfig {
  /** postgres:// URL; absent means the embedded PGlite database. */
  url?: string | undefined;
  /** Read replica for analytics and search (optional). */
  readUrl?: string | undefined;
  /** PGlite data directory; `memory://` for a throw-away database. */
  dataDir: string;
  pool: {
    max: number;
    idleTimeoutSeconds: number;
    connectTimeoutSeconds: number;
    statementTimeoutMs: number;
    idleInTransactionTimeoutMs: number;
    applicationName: string;
    /**
     * Named prepared statements for every statement with parameters (DB_PREPARE, default true).
     * Off only behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
     */
    prepare: boolean;
  };
}

function boolFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  return {
    url: env.DATABASE_URL || undefined,
    readUrl: env.READ_DATABASE_URL || undefined,
    dataDir: env.PGLITE_DIR || resolve(process.cwd(), ".data/pglite"),
    pool: {
      max: intFromEnv(env, "DB_POOL_MAX", 10),
      idleTimeoutSeconds: intFromEnv(env, "DB_IDLE_TIMEOUT_S", 30),
      connectTimeoutSeconds: intFromEnv(env, "DB_CONNECT_TIMEOUT_S", 5),
      statementTimeoutMs: intFromEnv(env, "DB_STATEMENT_TIMEOUT_MS", 15_000),
      idleInTransactionTimeoutMs: intFromEnv(env, "DB_IDLE_IN_TX_TIMEOUT_MS", 30_000),
      applicationName: env.DB_APPLICATION_NAME || "coursebase",
      prepare: boolFromEnv(env, "DB_PREPARE", true),
    },
  };
}
