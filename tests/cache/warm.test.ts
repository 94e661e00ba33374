import type { Database } from "@coursebase/db";
import { schema } from "@coursebase/db";
import { type Cache, cacheConfigFromEnv, createCache } from "@coursebase/server/cache";
import { createOffCache } from "@coursebase/server/cache/off-cache";
import { popularCourses, registerWarmup, startWarmup, warmupStatusOf } from "@coursebase/server/cache/warm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// Start-up warming of popular courses' analytics (packages/server/src/cache/warm.ts).

const NOW = new Date("2026-11-25T12:00:00Z");
// The admin app's default range on NOW: the last 30 days ending today (UTC).
const LAST_30_DAYS = { start: "2026-10-27", end: "2026-11-25" };
const config = { courses: 50, rangesDays: [30], concurrency: 2, budgetMs: 60_000 };
const logger = pino({ level: "silent" });
const extraStudent = "b0000000-0000-4000-8000-0000000000a1";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db, NOW);
  // Fixture: one ACTIVE enrollment each in C1, C2 (Northwind) and C5 (Southbank). A second
  // learner in C5 makes it the most followed course.
  await database.db.insert(schema.users).values({
    id: extraStudent,
    email: "warm-extra@southbank.ac.uk",
    name: "Extra Learner",
    role: "STUDENT",
    institutionId: ids.southbank,
  });
  await database.db.insert(schema.enrollments).values({
    studentId: extraStudent,
    courseId: ids.c5,
    institutionId: ids.southbank,
    status: "ACTIVE",
    enrolledAt: new Date("2026-11-03T10:00:00Z"),
  });
});
afterAll(() => database.destroy());

const memoryCache = () => createCache({ ...cacheConfigFromEnv({}), mode: "memory" });

describe("popular courses", () => {
  it("are the published courses with the most ACTIVE enrollments, ties by id, up to the limit", async () => {
    // C4 (published, one DROPPED enrollment) and C3 (draft) are not popular.
    expect(await popularCourses(database.db, 10)).toEqual([
      { courseId: ids.c5, institutionId: ids.southbank, instructorId: ids.grace },
      { courseId: ids.c1, institutionId: ids.northwind, instructorId: ids.ada },
      { courseId: ids.c2, institutionId: ids.northwind, instructorId: ids.ada },
    ]);
    expect((await popularCourses(database.db, 1)).map((c) => c.courseId)).toEqual([ids.c5]);
  });
});

describe("warming", () => {
  let cache: Cache;
  beforeAll(async () => {
    cache = await memoryCache();
  });
  afterAll(() => cache.close());

  it("computes the very entries analytics.course then reads, for administrators and the lead instructor", async () => {
    const warmup = startWarmup({ cache, database, logger }, config, { now: () => NOW });
    const status = await warmup.done;
    // 3 courses x 1 range x 2 viewers (administrators, lead instructor).
    expect(status).toMatchObject({ state: "done", courses: 3, entries: 6, computed: 6, failed: 0, skipped: 0 });
    expect(warmupStatusOf(cache)).toMatchObject({ state: "done", computed: 6 });

    const services = createTestServices(database, cache);
    const before = cache.stats();
    const asAdmin = await callerAs(services, as.northwindAdmin).analytics.course({ courseId: ids.c1, ...LAST_30_DAYS });
    const asAda = await callerAs(services, as.ada).analytics.course({ courseId: ids.c2, ...LAST_30_DAYS });
    await callerAs(services, as.grace).analytics.course({ courseId: ids.c5, ...LAST_30_DAYS });
    const after = cache.stats();
    expect({ hits: after.hits - before.hits, misses: after.misses - before.misses }).toEqual({ hits: 3, misses: 0 });

    // What was warmed is what the procedure computes now (the cache off).
    const fresh = createTestServices(database);
    expect(asAdmin).toEqual(
      await callerAs(fresh, as.northwindAdmin).analytics.course({ courseId: ids.c1, ...LAST_30_DAYS }),
    );
    expect(asAda).toEqual(await callerAs(fresh, as.ada).analytics.course({ courseId: ids.c2, ...LAST_30_DAYS }));

    // A second start finds everything cached and computes nothing.
    expect(await startWarmup({ cache, database, logger }, config, { now: () => NOW }).done).toMatchObject({
      entries: 6,
      computed: 0,
    });
  });

  it("is bounded by the number of courses", async () => {
    const own = await memoryCache();
    const status = await startWarmup({ cache: own, database, logger }, { ...config, courses: 1 }, { now: () => NOW })
      .done;
    expect(status).toMatchObject({ courses: 1, entries: 2, computed: 2 });
    await own.close();
  });

  it("stop() starts nothing more", async () => {
    const own = await memoryCache();
    const warmup = startWarmup({ cache: own, database, logger }, config, { now: () => NOW });
    const status = await warmup.stop();
    expect(status).toMatchObject({ state: "stopped", courses: 3, entries: 0, computed: 0, skipped: 6 });
    await own.close();
  });

  it("counts failures and never throws", async () => {
    const own = await memoryCache();
    const failing = {
      transaction: () => Promise.reject(new Error("replica unreachable")),
    } as unknown as Database;
    const status = await startWarmup({ cache: own, database: { db: database.db, readDb: failing }, logger }, config, {
      now: () => NOW,
    }).done;
    expect(status).toMatchObject({ state: "done", entries: 6, computed: 6, failed: 6 });
    const broken = { execute: () => Promise.reject(new Error("database down")) } as unknown as Database;
    expect(
      await startWarmup({ cache: own, database: { db: broken, readDb: broken }, logger }, config).done,
    ).toMatchObject({ state: "failed", error: "database down" });
    await own.close();
  });

  it("does nothing with the cache off", async () => {
    const off = createOffCache({ dashboardSeconds: 300, analyticsSeconds: 1800 });
    expect(await startWarmup({ cache: off, database, logger }, config).done).toMatchObject({
      state: "off",
      entries: 0,
    });
  });

  it("never holds up the server: start() returns at once, closing waits for what is in flight", async () => {
    const own = await memoryCache();
    const hooks: Array<() => Promise<void>> = [];
    const app = { addHook: (_name: "onClose", hook: () => Promise<void>) => hooks.push(hook) };
    const registered = registerWarmup(app, { cache: own, database, logger }, config);
    const warmup = registered.start();
    expect(warmup.status().state).toBe("running");
    for (const hook of hooks) await hook(); // the server closes
    expect(["stopped", "done"]).toContain(warmup.status().state);
    await own.close();
  });
});
