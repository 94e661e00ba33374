import { queryRows, schema } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// PostgreSQL only (PGlite has one connection, so nothing runs concurrently there): submissions
// of one student arriving together each get their own attempt number, none collides.
describe("concurrent submissions", () => {
  let database: TestDatabase;
  const assignmentId = "a5000000-0000-4000-8000-000000000009";

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    await database.db.insert(schema.assignments).values({
      id: assignmentId,
      courseId: ids.c1,
      institutionId: ids.northwind,
      title: "Race",
      instructions: "",
      maxPoints: "10",
    });
  });
  afterAll(() => database.destroy());

  it("eight submissions at once get attempts 1..8", async () => {
    const sam = callerAs(createTestServices(database), as.sam);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sam.submissions.submit({ assignmentId, content: `try ${i}` })),
    );
    expect(results.map((r) => r.attempt).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const rows = await queryRows<{ attempt: number }>(
      database.db,
      sql`select attempt from submissions where assignment_id = ${assignmentId} order by attempt`,
    );
    expect(rows.map((row) => row.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
