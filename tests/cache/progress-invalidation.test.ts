import { randomBytes } from "node:crypto";
import { type Cache, cacheConfigFromEnv, createCache } from "@coursebase/server/cache";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// End to end through the procedures and the real Redis: progress.record drops exactly the
// dashboards and analytics it changed, once its transaction has committed.
describe("progress.record invalidates exactly what it changed", () => {
  let database: TestDatabase;
  let cache: Cache;
  let api: ReturnType<typeof callerAs>;
  const range = { start: "2026-01-01", end: "2026-12-31" };

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    cache = await createCache({
      ...cacheConfigFromEnv({ REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379" }),
      keyPrefix: `cbtest:${randomBytes(4).toString("hex")}:`,
    });
    api = callerAs(createTestServices(database, cache), as.northwindToken);
  });
  afterAll(async () => {
    await cache?.close();
    await database?.destroy();
  });

  it("the next dashboard of the student is fresh, other students' and courses' entries stay cached", async () => {
    const samBefore = await api.dashboard.student({ studentId: ids.sam });
    await api.dashboard.student({ studentId: ids.alex });
    const c1Before = await api.analytics.course({ courseId: ids.c1, ...range });
    await api.analytics.course({ courseId: ids.c4, ...range });
    expect(samBefore.enrollments.find((enrollment) => enrollment.courseId === ids.c1)?.progress).toBe(50);

    const hitsBefore = cache.stats().hits;
    await api.dashboard.student({ studentId: ids.alex });
    await api.analytics.course({ courseId: ids.c4, ...range });
    expect(cache.stats().hits - hitsBefore).toBe(2);

    await api.progress.record({
      updates: [
        {
          eventId: "inv-1",
          studentId: ids.sam,
          lessonId: ids.l3,
          courseId: ids.c1,
          timeSpent: 30,
          completedAt: new Date(),
        },
      ],
    });

    const samAfter = await api.dashboard.student({ studentId: ids.sam });
    expect(samAfter.enrollments.find((enrollment) => enrollment.courseId === ids.c1)?.progress).toBe(75);
    const c1After = await api.analytics.course({ courseId: ids.c1, ...range });
    expect(c1After.totals.lessonsCompleted).toBe(c1Before.totals.lessonsCompleted + 1);

    const hitsAfter = cache.stats().hits;
    await api.dashboard.student({ studentId: ids.alex });
    await api.analytics.course({ courseId: ids.c4, ...range });
    expect(cache.stats().hits - hitsAfter).toBe(2); // untouched entries were still cached
  });

  it("a rejected batch invalidates nothing", async () => {
    await api.dashboard.student({ studentId: ids.sam });
    const invalidations = cache.stats().invalidations;
    await expect(
      api.progress.record({
        updates: [{ eventId: "inv-bad", studentId: ids.noel, lessonId: ids.l1, courseId: ids.c1, timeSpent: 5 }],
      }),
    ).rejects.toThrow(/not enrolled/);
    expect(cache.stats().invalidations).toBe(invalidations);
  });
});
