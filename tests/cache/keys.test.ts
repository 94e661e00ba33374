import { cacheConfigFromEnv, cacheKey, cacheKeys, cacheTags, entityTag } from "@coursebase/server/cache/index";
import { describe, expect, it } from "vitest";

const institution = "0b6f2a0e-6d1c-4c36-9a52-1c2f3f8f6a01";
const otherInstitution = "7d1e3c55-2b8a-4f0e-8e44-5a9b8c7d6e02";
const student = "3f2a8c1e-9b7d-4e6a-8c5b-2d1f0e9a8b03";

describe("cache keys", () => {
  it("carry the institution and the tags, with the institution's own tag always present", () => {
    const key = cacheKeys.studentDashboard(institution, student);
    expect(key.institutionId).toBe(institution);
    expect(key.name).toBe("dashboard.student");
    expect(key.tags).toEqual([`institution:${institution}`, `student:${institution}:${student}`]);
    expect(cacheKey({ institutionId: institution, name: "x" }).tags).toEqual([`institution:${institution}`]);
  });

  it("hash the params: free text never appears, equal params give equal digests whatever their order", () => {
    const key = cacheKey({
      institutionId: institution,
      name: "search.courses",
      params: { query: "grace.hopper@navy.mil compilers", page: 1, since: new Date("2026-01-01T00:00:00Z") },
    });
    expect(key.digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(key)).not.toMatch(/grace|hopper|navy|compilers/);
    const reordered = cacheKey({
      institutionId: institution,
      name: "search.courses",
      params: { since: new Date("2026-01-01T00:00:00Z"), page: 1, query: "grace.hopper@navy.mil compilers" },
    });
    expect(reordered.digest).toBe(key.digest);
    // undefined properties are absent; a string is not the Date it spells.
    expect(cacheKey({ institutionId: institution, name: "n", params: { a: 1, b: undefined } }).digest).toBe(
      cacheKey({ institutionId: institution, name: "n", params: { a: 1 } }).digest,
    );
    expect(
      cacheKey({ institutionId: institution, name: "n", params: { at: "2026-01-01T00:00:00.000Z" } }).digest,
    ).not.toBe(
      cacheKey({ institutionId: institution, name: "n", params: { at: new Date("2026-01-01T00:00:00.000Z") } }).digest,
    );
  });

  it("accept ids only: an email or a name in place of an id is refused without being echoed", () => {
    for (const build of [
      () => cacheKeys.studentDashboard(institution, "ada@example.edu"),
      () => cacheTags.student(institution, "Ada Lovelace"),
      () => cacheKey({ institutionId: "ada@example.edu", name: "dashboard.student" }),
    ]) {
      expect(build).toThrow(TypeError);
      try {
        build();
      } catch (error) {
        expect((error as Error).message).not.toMatch(/ada|lovelace|example/i);
      }
    }
    expect(() => cacheKey({ institutionId: institution, name: "ada@example.edu" })).toThrow(/key name/);
    expect(() => entityTag("Student:", institution, student)).toThrow(/tag kind/);
  });

  it("refuse params that cannot be hashed deterministically", () => {
    expect(() => cacheKey({ institutionId: institution, name: "n", params: { at: new Date("nope") } })).toThrow(/Date/);
    expect(() => cacheKey({ institutionId: institution, name: "n", params: { n: Number.NaN } })).toThrow(/finite/);
    expect(() => cacheKey({ institutionId: institution, name: "n", params: { m: new Map() } })).toThrow(
      /plain objects/,
    );
  });

  it("refuse a tag of another institution", () => {
    expect(() =>
      cacheKey({ institutionId: institution, name: "n", tags: [cacheTags.student(otherInstitution, student)] }),
    ).toThrow(/of its institution/);
  });

  it("name one entity by one tag whatever the case of its id", () => {
    expect(cacheTags.student(institution.toUpperCase(), student.toUpperCase())).toBe(
      cacheTags.student(institution, student),
    );
    expect(cacheKeys.studentDashboard(institution, student.toUpperCase()).digest).toBe(
      cacheKeys.studentDashboard(institution, student).digest,
    );
  });
});

describe("cache configuration", () => {
  it("defaults to the in-process cache with the documented TTLs and timeouts", () => {
    expect(cacheConfigFromEnv({})).toEqual({
      mode: "memory",
      keyPrefix: "cb:",
      ttl: { dashboardSeconds: 300, analyticsSeconds: 1800 },
      redisTimeoutMs: 100,
      breakerFailures: 3,
      breakerCooldownMs: 1000,
      lockTtlMs: 5000,
      lockWaitMs: 1000,
      memoryMaxBytes: 64 * 1024 * 1024,
    });
  });

  it("uses Redis when REDIS_URL is set, nothing with CACHE=off, and reads the TTLs", () => {
    const redis = cacheConfigFromEnv({
      REDIS_URL: "redis://127.0.0.1:6379",
      CACHE_DASHBOARD_TTL_S: "60",
      CACHE_ANALYTICS_TTL_S: "600",
      CACHE_REDIS_TIMEOUT_MS: "50",
    });
    expect(redis).toMatchObject({
      mode: "redis",
      redisUrl: "redis://127.0.0.1:6379",
      ttl: { dashboardSeconds: 60, analyticsSeconds: 600 },
      redisTimeoutMs: 50,
    });
    expect(cacheConfigFromEnv({ CACHE: "off", REDIS_URL: "redis://127.0.0.1:6379" }).mode).toBe("off");
  });

  it("refuses values it cannot use, naming the variable", () => {
    expect(() => cacheConfigFromEnv({ CACHE: "maybe" })).toThrow(/CACHE must be/);
    expect(() => cacheConfigFromEnv({ CACHE_DASHBOARD_TTL_S: "5m" })).toThrow(/CACHE_DASHBOARD_TTL_S/);
    expect(() => cacheConfigFromEnv({ CACHE_REDIS_TIMEOUT_MS: "0" })).toThrow(/CACHE_REDIS_TIMEOUT_MS/);
  });
});
