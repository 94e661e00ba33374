import { createDatabase, databaseConfigFromEnv, schema, withTenant } from "@coursebase/db";
import { onQuery, poolUsage, type QueryEvent } from "@coursebase/db/monitoring/index";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { databaseError } from "../support/errors.ts";
import { ids, loadFixture } from "../support/fixture.ts";

// The driver hooks installed by createDatabase (packages/db/src/monitoring): every statement of
// both drivers is timed and published, and Drizzle gets exactly what it got before.

describe(`query timing (${testEngine})`, () => {
  let database: TestDatabase;
  const events: QueryEvent[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    unsubscribe = onQuery((event) => events.push(event));
  });

  afterAll(async () => {
    unsubscribe?.();
    await database?.destroy();
  });

  beforeEach(() => {
    events.length = 0;
  });

  it("sees a pg_sleep(0.3) as at least 300 ms, with its statement and described parameters", async () => {
    await database.db.execute(sql`select pg_sleep(${0.3}), ${ids.sam}::uuid as student, ${"sam@northwind.edu"}::text`);
    expect(events).toHaveLength(1);
    const [event] = events as [QueryEvent];
    expect(event.durationMs).toBeGreaterThanOrEqual(300);
    expect(event).toMatchObject({
      database: "primary",
      driver: testEngine,
      statement: "select pg_sleep($1), $2::uuid as student, $3::text",
      paramCount: 3,
      ok: true,
      inTransaction: false,
    });
    expect(event.redactedParams()).toEqual(["$1: <number>", "$2: <uuid>", "$3: <text 17 chars>"]);
  });

  it("leaves Drizzle's results unchanged (the query builder maps rows from .values())", async () => {
    const rows = await database.db
      .select({ id: schema.courses.id, title: schema.courses.title })
      .from(schema.courses)
      .where(eq(schema.courses.id, ids.c2));
    expect(rows).toEqual([{ id: ids.c2, title: "Introduction to C++ Programming" }]);
    expect(events.map((event) => event.statement)).toEqual([
      'select "id", "title" from "courses" where "courses"."id" = $1',
    ]);

    const found = await database.db.query.users.findFirst({
      columns: { name: true },
      where: eq(schema.users.id, ids.ada),
    });
    expect(found).toEqual({ name: "Ada Lovelace" });
    expect(events).toHaveLength(2);
  });

  it("times every statement of a tenant transaction, BEGIN and COMMIT included", async () => {
    const count = await withTenant(database.db, ids.northwind, async (tx) => {
      const result = await tx.execute(sql`select count(*)::int as n from ${schema.courses}`);
      return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows)[0];
    });
    // Northwind has C1-C4 (fixture header); row-level security hides Southbank's C5.
    expect(count).toEqual({ n: 4 });
    expect(events.map((event) => [event.statement.split(" ")[0], event.inTransaction, event.ok])).toEqual([
      ["begin", true, true],
      ["select", true, true],
      ["select", true, true],
      ["commit", true, true],
    ]);
    expect(events[2]?.statement).toBe('select count(*)::int as n from "courses"');
  });

  it("times a rolled-back transaction and its savepoint's statements", async () => {
    const failure = database.db.transaction(async (tx) => {
      await tx.transaction(async (inner) => {
        await inner.execute(sql`select 2`);
      });
      throw new Error("changed my mind");
    });
    await expect(failure).rejects.toThrow("changed my mind");
    const statements = events.map((event) => event.statement);
    expect(statements[0]).toBe("begin");
    expect(statements).toContain("select 2");
    expect(statements.at(-1)).toBe("rollback");
    expect(events.every((event) => event.inTransaction)).toBe(true);
  });

  it("reports a failed statement with its SQLSTATE, and the caller still gets the error", async () => {
    expect(await databaseError(database.db.execute(sql`select 1 / ${0}::int`))).toMatch(/division by zero/);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ok: false, errorCode: "22012", statement: "select 1 / $1::int" });
  });

  it("counts the connections a transaction holds while it runs", async () => {
    const size = testEngine === "pglite" ? 1 : database.sql?.options.max;
    expect(poolUsage()).toEqual([{ database: "primary", driver: testEngine, size, inUse: 0, waiting: 0 }]);
    const during = await database.db.transaction(async () => poolUsage());
    expect(during).toEqual([{ database: "primary", driver: testEngine, size, inUse: 1, waiting: 0 }]);
    expect(poolUsage()[0]?.inUse).toBe(0);
  });

  // PGlite runs pg_sleep on the JavaScript thread, so concurrency is watched on PostgreSQL only.
  it.runIf(testEngine === "postgres")(
    "shows a statement waiting for the only connection, and keeps the wait out of its duration",
    async () => {
      const poolSize = database.sql?.options.max ?? 0;
      const tiny = await createDatabase({
        url: database.url,
        readUrl: undefined,
        pool: { ...databaseConfigFromEnv().pool, max: 1 },
      });
      try {
        await tiny.db.execute(sql`select 1`); // opens its one connection
        events.length = 0;
        // Drizzle's queries start when awaited: Promise.all starts both.
        const both = Promise.all([
          tiny.db.execute(sql`select pg_sleep(0.2), 'first'`),
          tiny.db.execute(sql`select pg_sleep(0.2), 'second'`),
        ]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        // Usage is summed per role over the process's clients: this file's pool and the tiny one.
        expect(poolUsage()).toEqual([
          { database: "primary", driver: "postgres", size: poolSize + 1, inUse: 1, waiting: 1 },
        ]);
        await both;

        const secondEvent = events.find((event) => event.statement.includes("'second'"));
        // It waited for the first sleep, then slept itself.
        expect(secondEvent?.waitMs).toBeGreaterThanOrEqual(200);
        expect(secondEvent?.durationMs).toBeGreaterThanOrEqual(200);
      } finally {
        await tiny.close();
      }
      expect(poolUsage()).toEqual([{ database: "primary", driver: "postgres", size: poolSize, inUse: 0, waiting: 0 }]);
    },
  );
});
