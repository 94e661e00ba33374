import { APP_ROLE, queryOne, queryRows, withTenant } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { databaseError } from "../support/errors.ts";
import { ids, loadFixture } from "../support/fixture.ts";

// Row-level security: what the application's role sees when a query forgets its tenant filter.
describe("tenant isolation in the database", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
  });
  afterAll(() => database.destroy());

  const count = (table: string) => sql`select count(*)::int as n from ${sql.identifier(table)}`;

  it("a query without a tenant filter returns only the caller's institution", async () => {
    const northwind = await withTenant(database.db, ids.northwind, (tx) =>
      queryRows<{ title: string }>(tx, sql`select title from courses order by title`),
    );
    expect(northwind.map((c) => c.title)).toEqual([
      "Calculus I: Limits and Derivatives",
      "Data Science with Python",
      "Introduction to C++ Programming",
      "Linear Algebra",
    ]);
    const southbank = await withTenant(database.db, ids.southbank, (tx) =>
      queryRows<{ n: number; domain: string }>(
        tx,
        sql`select (select count(*)::int from lesson_progress) as n, (select domain from institutions) as domain`,
      ),
    );
    expect(southbank).toEqual([{ n: 1, domain: "southbank.ac.uk" }]);
  });

  it("the application role without a tenant sees nothing at all", async () => {
    const tables = ["institutions", "users", "courses", "enrollments", "lesson_progress", "lessons", "modules"];
    const counts = await database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', ${APP_ROLE}, true)`);
      const result: Record<string, number> = {};
      for (const table of tables) result[table] = (await queryOne<{ n: number }>(tx, count(table)))?.n ?? -1;
      return result;
    });
    expect(counts).toEqual(Object.fromEntries(tables.map((table) => [table, 0])));
  });

  it("refuses to write a row into another institution", async () => {
    const smuggle = withTenant(database.db, ids.northwind, (tx) =>
      tx.execute(
        sql`insert into departments (institution_id, name, code) values (${ids.southbank}, 'Smuggled', 'SMG')`,
      ),
    );
    expect(await databaseError(smuggle)).toMatch(/row-level security/);
    const hijacked = await withTenant(database.db, ids.northwind, (tx) =>
      queryRows<{ id: string }>(tx, sql`update users set name = 'Hijacked' where id = ${ids.bea} returning id`),
    );
    expect(hijacked).toEqual([]);
    const bea = await queryOne<{ name: string }>(database.db, sql`select name from users where id = ${ids.bea}`);
    expect(bea?.name).toBe("Bea Scholar");
  });

  it("the application can append to the audit trail but never rewrite it", async () => {
    await withTenant(database.db, ids.northwind, (tx) =>
      tx.execute(
        sql`insert into audit_log (institution_id, action, target_type) values (${ids.northwind}, 'test.append', 'test')`,
      ),
    );
    const asApp = (statement: ReturnType<typeof sql>) =>
      databaseError(withTenant(database.db, ids.northwind, (tx) => tx.execute(statement)));
    expect(await asApp(sql`update audit_log set action = 'rewritten'`)).toMatch(/permission denied/);
    expect(await asApp(sql`delete from audit_log`)).toMatch(/permission denied/);
    // Not even the owner rewrites it: the trigger refuses.
    expect(await databaseError(database.db.execute(sql`delete from audit_log`))).toMatch(/append-only/);
  });

  it("password hashes cannot be read back by the application", async () => {
    const read = withTenant(database.db, ids.northwind, (tx) =>
      tx.execute(sql`select password_hash from user_credentials`),
    );
    expect(await databaseError(read)).toMatch(/permission denied/);
  });
});
