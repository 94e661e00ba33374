import { queryOne } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { loadFixture } from "./support/fixture.ts";

describe("hand-built fixture", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
  });
  afterAll(() => database.destroy());

  it("loads every row through the schema's constraints", async () => {
    const row = await queryOne<{ progress: number; enrollments: number }>(
      database.db,
      sql`select (select count(*) from lesson_progress)::int as progress, (select count(*) from enrollments)::int as enrollments`,
    );
    expect(row).toEqual({ progress: 10, enrollments: 6 });
  });
});
