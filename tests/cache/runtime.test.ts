import { type Cache, cacheConfigFromEnv, createCache } from "@coursebase/server/cache";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// ops.runtime: what the admin app's health page shows of this process's pool and cache.
describe("ops.runtime", () => {
  let database: TestDatabase;
  let cache: Cache;
  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    cache = await createCache({ ...cacheConfigFromEnv({}), mode: "memory" });
  });
  afterAll(async () => {
    await cache?.close();
    await database?.destroy();
  });

  it("reports pool usage and the cache's counters and hit rate to an administrator", async () => {
    const services = createTestServices(database, cache);
    const admin = callerAs(services, as.northwindAdmin);
    const before = await admin.ops.runtime();
    expect(before.cache).toMatchObject({ mode: "memory", hits: 0, misses: 0, hitRate: null });
    expect(before.warmup).toBeNull();

    await admin.dashboard.student({ studentId: ids.sam }); // miss: computed and stored
    await admin.dashboard.student({ studentId: ids.sam }); // hit
    await admin.dashboard.student({ studentId: ids.sam }); // hit
    await admin.dashboard.student({ studentId: ids.alex }); // miss

    const after = await admin.ops.runtime();
    expect(after.cache).toMatchObject({ hits: 2, misses: 2, hitRate: 0.5, breaker: "closed" });
    const primary = after.pools.find((pool) => pool.database === "primary");
    // Asked from inside its own tenant transaction: at least that connection is in use.
    expect(primary).toMatchObject({ driver: testEngine, waiting: 0 });
    expect(primary?.size).toBe(testEngine === "pglite" ? 1 : database.sql?.options.max);
    expect(primary?.inUse).toBeGreaterThanOrEqual(1);
    expect(primary?.utilisation).toBeCloseTo((primary?.inUse ?? 0) / (primary?.size ?? 1));
  });

  it("is for administrators only", async () => {
    const services = createTestServices(database, cache);
    await expect(callerAs(services, as.ada).ops.runtime()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs(services, as.sam).ops.runtime()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs(services, null).ops.runtime()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
