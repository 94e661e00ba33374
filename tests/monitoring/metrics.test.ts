import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "@coursebase/db";
import { cacheConfigFromEnv, cacheKey, createCache } from "@coursebase/server/cache/index";
import { createHttpServer } from "@coursebase/server/http/server";
import { recordJobRun, registerMetricsRoute, registerMonitoring } from "@coursebase/server/monitoring/index";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// ---------------------------------------------------------------------------------------------
// A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be
// empty, a HELP, a TYPE, a comment or a well-formed sample of a family declared before it; samples of a
// family are contiguous; histograms have ascending cumulative buckets ending at +Inf == _count.

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  type: string;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? ([^ ]+)(?: (-?\\d+))?$`);
// A float as Go's strconv.ParseFloat reads it (what Prometheus uses): NaN and Inf in any case
// (prom-client writes "Nan" for an empty event-loop-lag mean).
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|nan|[+-]?inf(?:inity)?)$/i;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(raw: string): number {
  if (/^nan$/i.test(raw)) return Number.NaN;
  if (/^[+]?inf/i.test(raw)) return Number.POSITIVE_INFINITY;
  if (/^-inf/i.test(raw)) return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

function familyOf(sampleName: string, families: Map<string, Family>): string | undefined {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return undefined;
}

function parseExposition(text: string): Map<string, Family> {
  expect(text.endsWith("\n")).toBe(true);
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: string | undefined;
  for (const [index, line] of text.slice(0, -1).split("\n").entries()) {
    const where = `line ${index + 1}: ${line}`;
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
      const match = new RegExp(`^# (HELP|TYPE) (${METRIC_NAME}) (.*)$`).exec(line);
      if (!match) throw new Error(`malformed ${where}`);
      const [, keyword, name = "", rest = ""] = match;
      const family = families.get(name) ?? { type: "untyped", samples: [] };
      if (family.samples.length > 0) throw new Error(`${keyword} after samples, ${where}`);
      if (keyword === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`unknown type, ${where}`);
        family.type = rest;
      } else family.help = rest;
      families.set(name, family);
      current = name;
      continue;
    }
    // The format ignores empty lines (prom-client separates families with one).
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`malformed sample, ${where}`);
    const [, name = "", labelText = "", rawValue = ""] = match;
    if (!VALUE.test(rawValue)) throw new Error(`malformed value, ${where}`);
    const familyName = familyOf(name, families);
    if (!familyName) throw new Error(`sample of an undeclared family, ${where}`);
    if (familyName !== current) throw new Error(`samples of ${familyName} are not contiguous, ${where}`);
    const labels: Record<string, string> = {};
    for (const label of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate sample, ${where}`);
    seen.add(key);
    families.get(familyName)?.samples.push({ name, labels, value: parseValue(rawValue) });
  }
  for (const [name, family] of families) if (family.type === "histogram") checkHistogram(name, family);
  return families;
}

function checkHistogram(name: string, family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const sample of family.samples.filter((s) => s.name === `${name}_bucket`)) {
    const { le, ...rest } = sample.labels;
    expect(le, `${name} bucket without le`).toBeDefined();
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), sample]);
  }
  for (const [key, buckets] of series) {
    const bounds = buckets.map((bucket) => parseValue(bucket.labels.le as string));
    expect(bounds, `${name} buckets ascending`).toEqual([...bounds].sort((a, b) => a - b));
    expect(bounds.at(-1)).toBe(Number.POSITIVE_INFINITY);
    const counts = buckets.map((bucket) => bucket.value);
    expect(counts, `${name} buckets cumulative`).toEqual([...counts].sort((a, b) => a - b));
    const count = family.samples.find(
      (s) => s.name === `${name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
    );
    expect(count?.value, `${name}_count equals the +Inf bucket`).toBe(counts.at(-1));
  }
}

/** The value of the sample `name` whose labels include `labels` (0 when there is none yet). */
function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(familyOf(name, families) ?? name);
  const sample = family?.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  return sample?.value ?? 0;
}

// ---------------------------------------------------------------------------------------------

type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;

describe(`GET /metrics (${testEngine})`, () => {
  let database: TestDatabase;
  let app: HttpServer;
  let cache: Awaited<ReturnType<typeof createCache>>;
  let dist: string;

  const scrape = async () => {
    const response = await app.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(response.body);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    cache = await createCache({ ...cacheConfigFromEnv({}), mode: "memory" });
    dist = mkdtempSync(join(tmpdir(), "coursebase-metrics-dist-"));
    app = await createHttpServer(createTestServices(database), { adminDist: dist, logLevel: "silent" });
    // What the HTTP server does in production (see packages/server/src/monitoring/index.ts).
    registerMonitoring(app, { cacheStats: () => cache.stats() });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await cache?.close();
    rmSync(dist, { recursive: true, force: true });
    await database?.destroy();
  });

  it("serves the Prometheus text format, with the Node runtime's default metrics", async () => {
    const families = await scrape();
    expect(families.get("process_cpu_user_seconds_total")?.type).toBe("counter");
    expect(families.get("nodejs_heap_size_used_bytes")?.type).toBe("gauge");
    for (const [name, type] of [
      ["coursebase_trpc_request_duration_seconds", "histogram"],
      ["coursebase_db_query_duration_seconds", "histogram"],
      ["coursebase_db_pool_wait_seconds", "histogram"],
      ["coursebase_db_pool_in_use", "gauge"],
      ["coursebase_cache_requests_total", "counter"],
      ["coursebase_job_runs_total", "counter"],
    ]) {
      expect(families.get(name as string)?.type, name).toBe(type);
    }
  });

  it("reports the pool's size and use (PGlite: one connection)", async () => {
    const families = await scrape();
    const size = testEngine === "pglite" ? 1 : (database.sql?.options.max as number);
    const labels = { database: "primary", driver: testEngine };
    expect(sampleValue(families, "coursebase_db_pool_size", labels)).toBe(size);
    expect(sampleValue(families, "coursebase_db_pool_in_use", labels)).toBe(0);
    expect(sampleValue(families, "coursebase_db_pool_waiting", labels)).toBe(0);
  });

  it("moves the procedure latency histogram for calls in-process and over HTTP", async () => {
    const procedure = { procedure: "ops.slowQueries", type: "query" };
    const ok = { ...procedure, outcome: "ok" };
    const error = { ...procedure, outcome: "error" };
    const before = await scrape();

    const api = callerAs(createTestServices(database), as.northwindAdmin);
    await api.ops.slowQueries({});
    await api.ops.slowQueries({ page: 2 });
    // Anonymous over HTTP: refused, and timed as an error.
    const input = encodeURIComponent(JSON.stringify({ json: {} }));
    const refused = await app.inject({ method: "GET", url: `/trpc/ops.slowQueries?input=${input}` });
    expect(refused.statusCode).toBe(401);

    const after = await scrape();
    const count = "coursebase_trpc_request_duration_seconds_count";
    expect(sampleValue(after, count, ok) - sampleValue(before, count, ok)).toBe(2);
    expect(sampleValue(after, count, error) - sampleValue(before, count, error)).toBe(1);
  });

  it("moves the query latency histogram by operation and table, never by SQL text", async () => {
    const labels = { database: "primary", operation: "select", table: "courses" };
    const count = "coursebase_db_query_duration_seconds_count";
    const before = await scrape();
    await database.db.execute(sql`select count(*)::int from ${schema.courses} where ${schema.courses.id} = ${ids.c1}`);
    await database.db.select().from(schema.courses).limit(1);
    const after = await scrape();
    expect(sampleValue(after, count, labels) - sampleValue(before, count, labels)).toBe(2);

    const labelValues = [...after.values()].flatMap((family) =>
      family.samples.flatMap((sample) => Object.values(sample.labels)),
    );
    expect(labelValues.some((value) => value.includes(ids.c1) || value.includes("count("))).toBe(false);
  });

  it("counts failed statements by SQLSTATE", async () => {
    const before = await scrape();
    await expect(database.db.execute(sql`select 1 / ${0}::int`)).rejects.toThrow();
    const after = await scrape();
    const errors = { database: "primary", operation: "select", table: "none", code: "22012" };
    expect(
      sampleValue(after, "coursebase_db_query_errors_total", errors) -
        sampleValue(before, "coursebase_db_query_errors_total", errors),
    ).toBe(1);
  });

  it("reports the cache's hits and misses from its stats", async () => {
    const before = await scrape();
    const key = cacheKey({ institutionId: ids.northwind, name: "metrics-test", params: { n: 1 }, tags: [] });
    const compute = async () => ({ answer: 42 });
    expect(await cache.getOrCompute(key, 60, compute)).toEqual({ answer: 42 });
    expect(await cache.getOrCompute(key, 60, compute)).toEqual({ answer: 42 });
    const after = await scrape();
    const delta = (result: string) =>
      sampleValue(after, "coursebase_cache_requests_total", { result }) -
      sampleValue(before, "coursebase_cache_requests_total", { result });
    expect(delta("miss")).toBe(1);
    expect(delta("hit")).toBe(1);
    expect(sampleValue(after, "coursebase_cache_breaker_open")).toBe(0);
  });

  it("counts job runs by job and outcome, with their duration", async () => {
    recordJobRun("metrics-test-job", "succeeded", 1500);
    recordJobRun("metrics-test-job", "failed", 250);
    recordJobRun("metrics-test-job", "succeeded", 500);
    const families = await scrape();
    const succeeded = { job: "metrics-test-job", outcome: "succeeded" };
    expect(sampleValue(families, "coursebase_job_runs_total", succeeded)).toBe(2);
    expect(sampleValue(families, "coursebase_job_runs_total", { job: "metrics-test-job", outcome: "failed" })).toBe(1);
    expect(sampleValue(families, "coursebase_job_duration_seconds_sum", succeeded)).toBe(2);
    expect(() => recordJobRun("Built From Data!", "succeeded", 1)).toThrow(/job name/);
  });

  it("asks for the bearer token when METRICS_TOKEN is set", async () => {
    const guarded = await createHttpServer(createTestServices(database), { adminDist: dist, logLevel: "silent" });
    try {
      registerMetricsRoute(guarded, { token: "s3cret-token" });
      const anonymous = await guarded.inject({ method: "GET", url: "/metrics" });
      expect(anonymous.statusCode).toBe(401);
      const wrong = await guarded.inject({ method: "GET", url: "/metrics", headers: { authorization: "Bearer nope" } });
      expect(wrong.statusCode).toBe(401);
      const right = await guarded.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: "Bearer s3cret-token" },
      });
      expect(right.statusCode).toBe(200);
      expect(parseExposition(right.body).has("coursebase_db_query_duration_seconds")).toBe(true);
    } finally {
      await guarded.close();
    }
  });
});
