import { randomBytes } from "node:crypto";
import { createDatabase, type DatabaseHandle } from "@coursebase/db";
import postgres from "postgres";
import { inject } from "vitest";

/** The server to create throw-away databases on (trust auth on this machine). */
export const adminUrl = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type TestEngine = "postgres" | "pglite";
export const testEngine: TestEngine = process.env.TEST_ENGINE === "pglite" ? "pglite" : "postgres";

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase extends DatabaseHandle {
  /** Drops the database (PostgreSQL) or closes it (PGlite). */
  destroy(): Promise<void>;
  /** Its URL, on PostgreSQL (for child processes and HTTP servers). */
  url?: string;
}

/**
 * A fresh, migrated database for one test file: on PostgreSQL a copy of the migrated template
 * made by global setup (CREATE DATABASE ... TEMPLATE, ~0.1 s), on PGlite an in-memory instance.
 */
export async function createTestDatabase(engine: TestEngine = testEngine): Promise<TestDatabase> {
  if (engine === "pglite") {
    const handle = await createDatabase({ url: undefined, readUrl: undefined, dataDir: "memory://" });
    await handle.migrate();
    return { ...handle, destroy: () => handle.close() };
  }
  const name = `coursebase_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${inject("templateDatabase")}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const handle = await createDatabase({ url, readUrl: undefined });
  return {
    ...handle,
    url,
    async destroy() {
      await handle.close();
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
