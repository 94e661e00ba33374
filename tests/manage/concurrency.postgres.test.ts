import { queryRows } from "@coursebase/db";
import type { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// Concurrent writers of one course, on real PostgreSQL (PGlite has a single connection, so
// nothing there is ever concurrent). Each caller runs its own tenant transaction on its own
// pooled connection.

let database: TestDatabase;
let services: ReturnType<typeof createTestServices>;
const admin = () => callerAs(services, as.northwindAdmin);
const text = (body: string) => ({ type: "TEXT" as const, body });

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
  services = createTestServices(database);
});
afterAll(() => database.destroy());

const lessonIds = async (moduleId: string) =>
  queryRows<{ id: string; orderIndex: number }>(
    database.db,
    sql`select id, order_index as "orderIndex" from lessons where module_id = ${moduleId} order by order_index`,
  );

describe("concurrent writers of one module", () => {
  it("two reorders at once both apply, one after the other: the module ends in one of the two orders, gapless", async () => {
    const module = await admin().modules.add({ courseId: ids.c3, title: "Concurrency" });
    const lessons = [];
    for (let n = 0; n < 6; n++) {
      lessons.push(
        (await admin().lessons.add({ moduleId: module.id, title: `L${n}`, duration: 1, content: text(`${n}`) })).id,
      );
    }
    const forward = [...lessons];
    const backward = [...lessons].reverse();
    const shuffled = [lessons[2], lessons[5], lessons[0], lessons[4], lessons[1], lessons[3]] as string[];
    for (let round = 0; round < 15; round++) {
      const [a, b] = round % 2 ? [backward, shuffled] : [shuffled, forward];
      const results = await Promise.allSettled([
        admin().lessons.reorder({ moduleId: module.id, lessonIds: a }),
        admin().lessons.reorder({ moduleId: module.id, lessonIds: b }),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
      const stored = await lessonIds(module.id);
      expect(stored.map((l) => l.orderIndex)).toEqual([0, 1, 2, 3, 4, 5]);
      expect([a, b]).toContainEqual(stored.map((l) => l.id));
    }
  });

  it("a reorder racing an add either runs first or is refused for missing the new lesson; never a gap or a duplicate", async () => {
    const module = await admin().modules.add({ courseId: ids.c3, title: "Race" });
    const first = await admin().lessons.add({ moduleId: module.id, title: "A", duration: 1, content: text("a") });
    const second = await admin().lessons.add({ moduleId: module.id, title: "B", duration: 1, content: text("b") });
    let refusedReorders = 0;
    for (let round = 0; round < 10; round++) {
      const current = (await lessonIds(module.id)).map((l) => l.id);
      const [reorder, add] = await Promise.allSettled([
        admin().lessons.reorder({ moduleId: module.id, lessonIds: [...current].reverse() }),
        admin().lessons.add({ moduleId: module.id, title: `N${round}`, duration: 1, content: text("n"), position: 0 }),
      ]);
      expect(add.status).toBe("fulfilled");
      if (reorder.status === "rejected") {
        refusedReorders++;
        expect((reorder.reason as TRPCError).code).toBe("BAD_REQUEST");
        expect((reorder.reason as TRPCError).message).toMatch(
          /^lessonIds: must list each of the \d+ module's lessons exactly once \(missing /,
        );
      }
      const stored = await lessonIds(module.id);
      expect(stored.map((l) => l.orderIndex)).toEqual(stored.map((_, index) => index));
      expect(stored).toHaveLength(round + 3);
    }
    expect([first.id, second.id].every(Boolean)).toBe(true);
    expect(refusedReorders).toBeLessThanOrEqual(10);
  });

  it("concurrent adds and removes queue on the course lock: distinct, gapless indexes", async () => {
    // Without the lock, adds that read the same lesson count insert the same order_index (a
    // unique violation), and a remove's renumbering races an add's count.
    const module = await admin().modules.add({ courseId: ids.c3, title: "Many hands" });
    const keep = await admin().lessons.add({ moduleId: module.id, title: "Keep", duration: 1, content: text("k") });
    const gone = await admin().lessons.add({ moduleId: module.id, title: "Gone", duration: 1, content: text("g") });
    const results = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, n) =>
        admin().lessons.add({ moduleId: module.id, title: `P${n}`, duration: 1, content: text("p") }),
      ),
      admin().lessons.remove({ lessonId: gone.id }),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(7).fill("fulfilled"));
    const stored = await lessonIds(module.id);
    expect(stored.map((l) => l.orderIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(stored[0]?.id).toBe(keep.id);
  });

  it("concurrent module reorders of one course end consistent", async () => {
    const course = await admin().courses.get({ courseId: ids.c1 });
    const modules = course.modules.map((m) => m.id);
    for (let round = 0; round < 10; round++) {
      const a = round % 2 ? modules : [...modules].reverse();
      const b = round % 2 ? [...modules].reverse() : modules;
      await Promise.all([
        admin().modules.reorder({ courseId: ids.c1, moduleIds: a }),
        admin().modules.reorder({ courseId: ids.c1, moduleIds: b }),
      ]);
      const stored = await queryRows<{ id: string; orderIndex: number }>(
        database.db,
        sql`select id, order_index as "orderIndex" from modules where course_id = ${ids.c1} order by order_index`,
      );
      expect(stored.map((m) => m.orderIndex)).toEqual([0, 1]);
      expect([a, b]).toContainEqual(stored.map((m) => m.id));
    }
  });
});

describe("concurrent prerequisite adds", () => {
  it("A requires B and B requires A at the same time: exactly one is added, the other refused as a cycle", async () => {
    for (let round = 0; round < 8; round++) {
      const make = (name: string) =>
        admin().courses.create({
          title: `${name} ${round}`,
          description: "Made for a race.",
          category: "SCIENCE",
          difficulty: "BEGINNER",
          price: 0,
          estimatedHours: 1,
          instructorId: ids.ada,
        });
      const [x, y] = [await make("Course X"), await make("Course Y")];
      const results = await Promise.allSettled([
        admin().prerequisites.add({ courseId: x.id, prerequisiteId: y.id }),
        admin().prerequisites.add({ courseId: y.id, prerequisiteId: x.id }),
      ]);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason.message).toMatch(
        /^prerequisiteId: would create a cycle: "Course [XY] \d" requires "Course [XY] \d" requires "Course [XY] \d"$/,
      );
      const edges = await queryRows<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from course_prerequisites where course_id in (${x.id}, ${y.id})`,
      );
      expect(edges[0]?.n).toBe(1);
    }
  });
});
