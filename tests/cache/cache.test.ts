/**
 * One behavioural suite, run against the in-process cache and against the real Redis on this
 * machine (127.0.0.1:6379, under a key prefix of its own that is deleted afterwards). The
 * "source" stands for the database: it counts its calls and numbers its answers, so a test can
 * tell a value computed now from one served by the cache.
 */
import { randomUUID } from "node:crypto";
import {
  type Cache,
  type CacheStats,
  cacheConfigFromEnv,
  cacheKey,
  cacheKeys,
  cacheTags,
  createCache,
} from "@coursebase/server/cache/index";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REDIS_URL = "redis://127.0.0.1:6379";
const runPrefix = `cbtest:${randomUUID()}:`;

/** A counted data source: the n-th call answers `${name}#n`. */
function source(name: string) {
  const state = {
    calls: 0,
    compute: async () => {
      state.calls += 1;
      return `${name}#${state.calls}`;
    },
  };
  return state;
}

function deferred() {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/** Counter movements between two stats() snapshots. */
function moved(before: CacheStats, after: CacheStats) {
  return {
    hits: after.hits - before.hits,
    misses: after.misses - before.misses,
    coalesced: after.coalesced - before.coalesced,
    bypasses: after.bypasses - before.bypasses,
    errors: after.errors - before.errors,
  };
}

const TTL = 300;

afterAll(async () => {
  // SCAN is fine here: a test clearing its own prefix, never the cache's own path.
  const cleanup = new Redis(REDIS_URL);
  const doomed: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await cleanup.scan(cursor, "MATCH", `${runPrefix}*`, "COUNT", 1000);
    cursor = next;
    doomed.push(...batch);
  } while (cursor !== "0");
  if (doomed.length > 0) await cleanup.del(...doomed);
  await cleanup.quit();
});

describe.each([
  { engine: "in-process", env: {} as NodeJS.ProcessEnv, mode: "memory" },
  { engine: "redis", env: { REDIS_URL } as NodeJS.ProcessEnv, mode: "redis" },
])("cache over $engine", ({ env, mode }) => {
  let cache: Cache;
  const open = (prefix = `${runPrefix}${mode}:`) =>
    // Timeouts are not under test here: a generous one keeps a busy machine from failing it.
    createCache(
      cacheConfigFromEnv({
        ...env,
        CACHE_KEY_PREFIX: prefix,
        CACHE_LOCK_WAIT_MS: "10000",
        CACHE_REDIS_TIMEOUT_MS: "2000",
      }),
    );

  beforeAll(async () => {
    cache = await open();
  });
  afterAll(async () => {
    await cache.close();
  });

  it("runs in the mode the environment asks for", () => {
    expect(cache.mode).toBe(mode);
    expect(cache.ttl).toEqual({ dashboardSeconds: 300, analyticsSeconds: 1800 });
  });

  it("computes on a miss, then serves the stored value", async () => {
    const institution = randomUUID();
    const key = cacheKeys.studentDashboard(institution, randomUUID());
    const dashboard = source("dashboard");
    const before = cache.stats();

    expect(await cache.getOrCompute(key, TTL, dashboard.compute)).toBe("dashboard#1");
    expect(await cache.getOrCompute(key, TTL, dashboard.compute)).toBe("dashboard#1");
    expect(await cache.getOrCompute(key, TTL, dashboard.compute)).toBe("dashboard#1");

    expect(dashboard.calls).toBe(1);
    expect(moved(before, cache.stats())).toEqual({ hits: 2, misses: 1, coalesced: 0, bypasses: 0, errors: 0 });
  });

  it("keeps Dates, nested, undefined and null through the cache, and gives each caller its own copy", async () => {
    const key = cacheKey({ institutionId: randomUUID(), name: "test.dates" });
    const lastAccessAt = new Date("2026-03-01T09:30:00.000Z");
    const value = { student: { lastLoginAt: null }, enrollments: [{ lastAccessAt, completedAt: undefined }] };

    const computed = await cache.getOrCompute(key, TTL, async () => value);
    const served = await cache.getOrCompute<typeof value>(key, TTL, async () => {
      throw new Error("must be served from the cache");
    });

    for (const result of [computed, served]) {
      const enrollment = result.enrollments[0];
      expect(enrollment?.lastAccessAt).toBeInstanceOf(Date);
      expect(enrollment?.lastAccessAt.toISOString()).toBe("2026-03-01T09:30:00.000Z");
      expect(enrollment && "completedAt" in enrollment).toBe(true);
      expect(result.student.lastLoginAt).toBeNull();
    }
    // What a caller does with its value reaches neither the cache nor the next caller.
    served.enrollments.length = 0;
    const again = await cache.getOrCompute(key, TTL, async () => value);
    expect(again.enrollments).toHaveLength(1);
  });

  it("caches falsy values too", async () => {
    const institution = randomUUID();
    for (const [name, value] of [
      ["test.null", null],
      ["test.zero", 0],
      ["test.empty", ""],
      ["test.false", false],
    ] as const) {
      let calls = 0;
      const compute = async () => {
        calls += 1;
        return value;
      };
      const key = cacheKey({ institutionId: institution, name });
      expect(await cache.getOrCompute(key, TTL, compute)).toBe(value);
      expect(await cache.getOrCompute(key, TTL, compute)).toBe(value);
      expect(calls).toBe(1);
    }
  });

  it("invalidates exactly: one student's entries are recomputed, other students' and courses' stay cached", async () => {
    const institution = randomUUID();
    const [alice, bob, course] = [randomUUID(), randomUUID(), randomUUID()];
    const aliceDashboard = source("alice");
    const bobDashboard = source("bob");
    const analytics = source("analytics");
    const aliceKey = cacheKeys.studentDashboard(institution, alice);
    const bobKey = cacheKeys.studentDashboard(institution, bob);
    const analyticsKey = cacheKeys.courseAnalytics(institution, course, { days: 90 });
    const readAll = () =>
      Promise.all([
        cache.getOrCompute(aliceKey, TTL, aliceDashboard.compute),
        cache.getOrCompute(bobKey, TTL, bobDashboard.compute),
        cache.getOrCompute(analyticsKey, TTL, analytics.compute),
      ]);

    expect(await readAll()).toEqual(["alice#1", "bob#1", "analytics#1"]);
    await cache.invalidate([cacheTags.student(institution, alice)]);
    expect(await readAll()).toEqual(["alice#2", "bob#1", "analytics#1"]);
    expect(await readAll()).toEqual(["alice#2", "bob#1", "analytics#1"]);

    await cache.invalidate([cacheTags.course(institution, course)]);
    expect(await readAll()).toEqual(["alice#2", "bob#1", "analytics#2"]);

    // A progress update touching both a student and a course: one call, both dropped.
    await cache.invalidate([cacheTags.student(institution, bob), cacheTags.course(institution, course)]);
    expect(await readAll()).toEqual(["alice#2", "bob#2", "analytics#3"]);
    expect([aliceDashboard.calls, bobDashboard.calls, analytics.calls]).toEqual([2, 2, 3]);
  });

  it("drops a whole tenant with its institution tag, and only that tenant", async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const student = randomUUID();
    const firstSource = source("first");
    const secondSource = source("second");
    const read = () =>
      Promise.all([
        cache.getOrCompute(cacheKeys.studentDashboard(first, student), TTL, firstSource.compute),
        cache.getOrCompute(cacheKeys.studentDashboard(second, student), TTL, secondSource.compute),
      ]);
    expect(await read()).toEqual(["first#1", "second#1"]);
    await cache.invalidate([cacheTags.institution(first)]);
    expect(await read()).toEqual(["first#2", "second#1"]);
  });

  it("separates tenants: the same ids under two institutions are two entries", async () => {
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const student = randomUUID();
    const course = randomUUID();
    const mineSource = source("mine");
    const theirsSource = source("theirs");

    expect(await cache.getOrCompute(cacheKeys.studentDashboard(mine, student), TTL, mineSource.compute)).toBe("mine#1");
    expect(await cache.getOrCompute(cacheKeys.studentDashboard(theirs, student), TTL, theirsSource.compute)).toBe(
      "theirs#1",
    );
    expect(await cache.getOrCompute(cacheKeys.studentDashboard(mine, student), TTL, mineSource.compute)).toBe("mine#1");
    expect(await cache.getOrCompute(cacheKeys.studentDashboard(theirs, student), TTL, theirsSource.compute)).toBe(
      "theirs#1",
    );

    // Same for a key built by hand with identical params, and for invalidation.
    const byHand = (institutionId: string) =>
      cacheKey({
        institutionId,
        name: "test.course",
        params: { course },
        tags: [cacheTags.course(institutionId, course)],
      });
    const mineCourse = source("mine-course");
    const theirsCourse = source("theirs-course");
    expect(await cache.getOrCompute(byHand(mine), TTL, mineCourse.compute)).toBe("mine-course#1");
    expect(await cache.getOrCompute(byHand(theirs), TTL, theirsCourse.compute)).toBe("theirs-course#1");
    await cache.invalidate([cacheTags.course(theirs, course), cacheTags.student(theirs, student)]);
    expect(await cache.getOrCompute(byHand(mine), TTL, mineCourse.compute)).toBe("mine-course#1");
    expect(await cache.getOrCompute(cacheKeys.studentDashboard(mine, student), TTL, mineSource.compute)).toBe("mine#1");
    expect(await cache.getOrCompute(byHand(theirs), TTL, theirsCourse.compute)).toBe("theirs-course#2");
  });

  it("tells entries apart by every param, whatever the order of the params", async () => {
    const institution = randomUUID();
    const search = source("search");
    const key = (params: Record<string, unknown>) =>
      cacheKey({ institutionId: institution, name: "search.courses", params });
    const first = await cache.getOrCompute(key({ query: "algebra", page: 1, limit: 20 }), TTL, search.compute);
    const reordered = await cache.getOrCompute(key({ limit: 20, page: 1, query: "algebra" }), TTL, search.compute);
    const nextPage = await cache.getOrCompute(key({ query: "algebra", page: 2, limit: 20 }), TTL, search.compute);
    expect([first, reordered, nextPage]).toEqual(["search#1", "search#1", "search#2"]);
  });

  it("computes once for 50 concurrent misses on one key", async () => {
    const key = cacheKeys.studentDashboard(randomUUID(), randomUUID());
    const gate = deferred();
    let calls = 0;
    const compute = async () => {
      calls += 1;
      await gate.promise;
      return { computedBy: calls };
    };
    const before = cache.stats();
    const results = Array.from({ length: 50 }, () => cache.getOrCompute(key, TTL, compute));
    // Let every call reach the cache before the computation may finish.
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.release();

    expect(await Promise.all(results)).toEqual(Array.from({ length: 50 }, () => ({ computedBy: 1 })));
    expect(calls).toBe(1);
    expect(moved(before, cache.stats())).toEqual({ hits: 0, misses: 1, coalesced: 49, bypasses: 0, errors: 0 });
  });

  it("hands a failed computation's error to every waiting caller and caches nothing", async () => {
    const key = cacheKeys.studentDashboard(randomUUID(), randomUUID());
    let calls = 0;
    const failing = async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error("database unavailable");
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrCompute(key, TTL, failing)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill("rejected"));
    expect(calls).toBe(1);
    expect(await cache.getOrCompute(key, TTL, async () => "recovered")).toBe("recovered");
  });

  it("never lets a read made after an invalidation join a computation started before it", async () => {
    const institution = randomUUID();
    const student = randomUUID();
    const key = cacheKeys.studentDashboard(institution, student);
    const gate = deferred();
    let calls = 0;
    const slowOld = cache.getOrCompute(key, TTL, async () => {
      calls += 1;
      await gate.promise;
      return "before the write";
    });
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 1));

    await cache.invalidate([cacheTags.student(institution, student)]);
    const fresh = await cache.getOrCompute(key, TTL, async () => {
      calls += 1;
      return "after the write";
    });
    gate.release();

    expect(fresh).toBe("after the write");
    expect(await slowOld).toBe("before the write");
    expect(calls).toBe(2);
    // The late value went under the old versions: nobody reads it.
    expect(await cache.getOrCompute(key, TTL, async () => "recomputed")).toBe("after the write");
  });

  it("warms entries that are not cached yet, and survives a failing one", async () => {
    const institution = randomUUID();
    const courses = [randomUUID(), randomUUID(), randomUUID()];
    const entries = courses.map((course, index) => ({
      key: cacheKeys.courseAnalytics(institution, course, { days: 30 }),
      ttlSeconds: TTL,
      compute: async () => {
        if (index === 2) throw new Error("this course's query failed");
        return `course ${index}`;
      },
    }));
    expect(await cache.warm(entries, { concurrency: 2 })).toEqual({ entries: 3, computed: 3, failed: 1 });
    expect(await cache.warm(entries)).toEqual({ entries: 3, computed: 1, failed: 1 });

    const never = async () => "not warmed";
    const served = await Promise.all(entries.map((entry) => cache.getOrCompute(entry.key, TTL, never)));
    expect(served).toEqual(["course 0", "course 1", "not warmed"]);
  });

  it("refuses a TTL that is not a positive whole number of seconds", async () => {
    const key = cacheKeys.studentDashboard(randomUUID(), randomUUID());
    await expect(cache.getOrCompute(key, 0, async () => 1)).rejects.toThrow(/ttlSeconds/);
    await expect(cache.getOrCompute(key, 1.5, async () => 1)).rejects.toThrow(/ttlSeconds/);
  });
});

describe("cache over redis: what lands in Redis", () => {
  const prefix = `${runPrefix}layout:`;
  let cache: Cache;
  let admin: Redis;
  beforeAll(async () => {
    cache = await createCache(
      cacheConfigFromEnv({
        REDIS_URL,
        CACHE_KEY_PREFIX: prefix,
        CACHE_LOCK_WAIT_MS: "10000",
        CACHE_REDIS_TIMEOUT_MS: "2000",
      }),
    );
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await cache.close();
    await admin.quit();
  });

  const keysUnder = async (pattern: string) => {
    // SCAN is fine here: a test inspecting its own prefix, never the cache's own path.
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await admin.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
    return found.sort();
  };

  it("keys carry the institution, ids at most, never free text, and every one expires", async () => {
    const institution = randomUUID();
    const student = randomUUID();
    await cache.getOrCompute(cacheKeys.studentDashboard(institution, student), 300, async () => ({
      name: "Ada Lovelace",
    }));
    const search = cacheKey({
      institutionId: institution,
      name: "search.courses",
      params: { query: "ada.lovelace@example.edu data science", page: 1 },
    });
    await cache.getOrCompute(search, 300, async () => ["course"]);

    const keys = await keysUnder(`${prefix}*`);
    const entries = keys.filter((key) => key.startsWith(`${prefix}e:`));
    const versions = keys.filter((key) => key.startsWith(`${prefix}v:`));
    expect(entries).toHaveLength(2);
    expect(versions.sort()).toEqual(
      [`${prefix}v:institution:${institution}`, `${prefix}v:student:${institution}:${student}`].sort(),
    );
    for (const key of entries) {
      expect(key.startsWith(`${prefix}e:${institution}:`)).toBe(true);
      expect(key).not.toMatch(/ada|lovelace|example|science/i);
    }
    for (const key of keys) expect(await admin.ttl(key)).toBeGreaterThan(0);
    // The value is the superjson text the cache returns; no key ever names a person.
    const dashboardEntry = entries.find((key) => key.includes(":dashboard.student:"));
    expect(JSON.parse((await admin.get(dashboardEntry ?? "missing")) ?? "null")).toEqual({
      json: { name: "Ada Lovelace" },
    });
  });

  it("invalidation writes new versions and touches no entry", async () => {
    const institution = randomUUID();
    const student = randomUUID();
    await cache.getOrCompute(cacheKeys.studentDashboard(institution, student), 300, async () => "v1");
    const versionKey = `${prefix}v:student:${institution}:${student}`;
    const entriesBefore = await keysUnder(`${prefix}e:${institution}:*`);
    const versionBefore = await admin.get(versionKey);

    await cache.invalidate([cacheTags.student(institution, student)]);

    expect(await admin.get(versionKey)).not.toBe(versionBefore);
    expect(await keysUnder(`${prefix}e:${institution}:*`)).toEqual(entriesBefore);
    expect(await cache.getOrCompute(cacheKeys.studentDashboard(institution, student), 300, async () => "v2")).toBe(
      "v2",
    );
  });

  it("computes once across processes: two clients, 25 concurrent misses each", async () => {
    const other = await createCache(
      cacheConfigFromEnv({
        REDIS_URL,
        CACHE_KEY_PREFIX: prefix,
        CACHE_LOCK_WAIT_MS: "10000",
        CACHE_REDIS_TIMEOUT_MS: "2000",
      }),
    );
    try {
      const key = cacheKeys.courseAnalytics(randomUUID(), randomUUID(), { days: 90 });
      let calls = 0;
      const gate = deferred();
      const compute = async () => {
        calls += 1;
        await gate.promise;
        return "analytics";
      };
      const results = [
        ...Array.from({ length: 25 }, () => cache.getOrCompute(key, 300, compute)),
        ...Array.from({ length: 25 }, () => other.getOrCompute(key, 300, compute)),
      ];
      while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      gate.release();
      expect(new Set(await Promise.all(results))).toEqual(new Set(["analytics"]));
      expect(calls).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe("cache off", () => {
  it("always computes and counts bypasses", async () => {
    const cache = await createCache(cacheConfigFromEnv({ CACHE: "off", REDIS_URL }));
    const key = cacheKeys.studentDashboard(randomUUID(), randomUUID());
    const dashboard = source("dashboard");
    expect(cache.mode).toBe("off");
    expect(await cache.getOrCompute(key, 300, dashboard.compute)).toBe("dashboard#1");
    expect(await cache.getOrCompute(key, 300, dashboard.compute)).toBe("dashboard#2");
    expect(cache.stats()).toMatchObject({ mode: "off", hits: 0, misses: 0, bypasses: 2 });
    await cache.close();
  });
});
