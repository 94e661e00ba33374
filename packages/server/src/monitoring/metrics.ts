import { onQuery, poolUsage, summarizeStatement } from "@coursebase/db/monitoring/index";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CacheStats } from "../cache/types.ts";
import { onProcedureTiming } from "../trpc/middlewares/timing.ts";

/**
 * The process's Prometheus metrics (served at GET /metrics by route.ts). Process-wide, as what
 * they count is: every statement of every database handle (the driver hooks publish them
 * through `onQuery`), every procedure call (`onProcedureTiming`), the Node runtime.
 *
 * Labels stay low-cardinality: procedure paths, statement operation and schema table (never
 * SQL text or values), job names that are code constants.
 */

export type JobOutcome = "succeeded" | "failed" | "skipped";

/** Counters for cache hits and misses, read when /metrics is scraped. */
export type CacheStatsSource = () => CacheStats;

const SECONDS = 1000;
// From a primary-key lookup (0.05 ms here) to the statement timeout (15 s).
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const WAIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
const JOB_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const cacheSources = new Set<CacheStatsSource>();

  const requestDuration = new Histogram({
    name: "coursebase_trpc_request_duration_seconds",
    help: "tRPC procedure latency, by procedure path, type and outcome",
    labelNames: ["procedure", "type", "outcome"] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });

  const queryDuration = new Histogram({
    name: "coursebase_db_query_duration_seconds",
    help: "Statement latency from when the server starts on it to its result, by database, operation and main table",
    labelNames: ["database", "operation", "table"] as const,
    buckets: QUERY_BUCKETS,
    registers,
  });
  const queryErrors = new Counter({
    name: "coursebase_db_query_errors_total",
    help: "Failed statements, by database, operation, main table and SQLSTATE",
    labelNames: ["database", "operation", "table", "code"] as const,
    registers,
  });
  const poolWait = new Histogram({
    name: "coursebase_db_pool_wait_seconds",
    help: "Time a statement waited for a pooled connection (postgres.js): grows when the pool is saturated",
    labelNames: ["database"] as const,
    buckets: WAIT_BUCKETS,
    registers,
  });
  const slowQueries = new Counter({
    name: "coursebase_db_slow_queries_total",
    help: "Statements slower than SLOW_QUERY_MS (severity warning) or SLOW_QUERY_ALERT_MS (severity alert)",
    labelNames: ["database", "severity"] as const,
    registers,
  });

  // Pool usage is sampled when scraped, from the driver hooks' counters.
  const poolGauge = (name: string, help: string, read: (usage: ReturnType<typeof poolUsage>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["database", "driver"] as const,
      registers,
      collect() {
        this.reset();
        for (const usage of poolUsage()) this.set({ database: usage.database, driver: usage.driver }, read(usage));
      },
    });
  poolGauge("coursebase_db_pool_size", "Connections the pool may open (1 for embedded PGlite)", (u) => u.size);
  poolGauge("coursebase_db_pool_in_use", "Connections serving a statement, transaction or reservation", (u) => u.inUse);
  poolGauge("coursebase_db_pool_waiting", "Requests for a connection beyond the pool's size", (u) => u.waiting);

  const cacheTotals = (): CacheStats[] => [...cacheSources].map((source) => source());
  const sum = (stats: CacheStats[], read: (s: CacheStats) => number) => stats.reduce((total, s) => total + read(s), 0);
  new Counter({
    name: "coursebase_cache_requests_total",
    help: "Cache reads by result: hit, miss (computed and stored), coalesced (joined a running computation), bypass (computed without the cache)",
    labelNames: ["result"] as const,
    registers,
    collect() {
      const stats = cacheTotals();
      this.reset();
      if (stats.length === 0) return;
      this.inc(
        { result: "hit" },
        sum(stats, (s) => s.hits),
      );
      this.inc(
        { result: "miss" },
        sum(stats, (s) => s.misses),
      );
      this.inc(
        { result: "coalesced" },
        sum(stats, (s) => s.coalesced),
      );
      this.inc(
        { result: "bypass" },
        sum(stats, (s) => s.bypasses),
      );
    },
  });
  const cacheCounter = (name: string, help: string, read: (s: CacheStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        const stats = cacheTotals();
        this.reset();
        if (stats.length > 0) this.inc(sum(stats, read));
      },
    });
  cacheCounter("coursebase_cache_errors_total", "Cache store round trips that failed or timed out", (s) => s.errors);
  cacheCounter("coursebase_cache_invalidations_total", "Cache tags invalidated", (s) => s.invalidations);
  new Gauge({
    name: "coursebase_cache_pending_invalidations",
    help: "Invalidations not yet applied to the store (it was unreachable)",
    registers,
    collect() {
      const stats = cacheTotals();
      this.reset();
      if (stats.length > 0) this.set(sum(stats, (s) => s.pendingInvalidations));
    },
  });
  new Gauge({
    name: "coursebase_cache_breaker_open",
    help: "1 while the circuit breaker skips the cache store (open or half-open), else 0",
    registers,
    collect() {
      const stats = cacheTotals();
      this.reset();
      if (stats.length > 0) this.set(stats.some((s) => s.breaker !== "closed") ? 1 : 0);
    },
  });

  const jobRuns = new Counter({
    name: "coursebase_job_runs_total",
    help: "Background job runs, by job and outcome",
    labelNames: ["job", "outcome"] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: "coursebase_job_duration_seconds",
    help: "Background job run time, by job and outcome",
    labelNames: ["job", "outcome"] as const,
    buckets: JOB_BUCKETS,
    registers,
  });

  const alerts = new Counter({
    name: "coursebase_alerts_total",
    help: "Alerts raised, by kind",
    labelNames: ["kind"] as const,
    registers,
  });
  const alertsSuppressed = new Counter({
    name: "coursebase_alerts_suppressed_total",
    help: "Alerts held back by ALERT_COOLDOWN_MS (a repeat of a recent alert for the same statement)",
    labelNames: ["kind"] as const,
    registers,
  });
  const alertSinkFailures = new Counter({
    name: "coursebase_alert_sink_failures_total",
    help: "Alert deliveries that failed or were dropped, by sink",
    labelNames: ["sink"] as const,
    registers,
  });

  onQuery((event) => {
    const { operation, table } = summarizeStatement(event.statement);
    queryDuration.observe({ database: event.database, operation, table }, event.durationMs / SECONDS);
    if (!event.ok) queryErrors.inc({ database: event.database, operation, table, code: event.errorCode ?? "none" });
    // A connection is waited for by a statement outside a transaction, or by a transaction's BEGIN.
    if (event.driver === "postgres" && (!event.inTransaction || operation === "begin")) {
      poolWait.observe({ database: event.database }, event.waitMs / SECONDS);
    }
  });
  onProcedureTiming((timing) => {
    requestDuration.observe(
      { procedure: timing.path, type: timing.type, outcome: timing.ok ? "ok" : "error" },
      timing.durationMs / SECONDS,
    );
  });

  return {
    registry,
    slowQueries,
    alerts,
    alertsSuppressed,
    alertSinkFailures,
    jobRuns,
    jobDuration,
    /** Adds a cache whose counters /metrics reports (summed when several); returns the removal. */
    addCacheSource(source: CacheStatsSource): () => void {
      cacheSources.add(source);
      return () => cacheSources.delete(source);
    },
  };
}

export type ProcessMetrics = ReturnType<typeof createMetrics>;

let metrics: ProcessMetrics | undefined;

/** The process's metrics, created (and subscribed to queries and procedures) on first use. */
export function processMetrics(): ProcessMetrics {
  metrics ??= createMetrics();
  return metrics;
}

const JOB_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;

/**
 * Records one run of a background job: `recordJobRun("refresh-course-summary", "succeeded", 812)`.
 * The job name is a label: a constant of the job's code, never built from data.
 */
export function recordJobRun(job: string, outcome: JobOutcome, durationMs: number): void {
  if (!JOB_NAME.test(job)) throw new Error(`job name must match ${JOB_NAME}, got "${job}"`);
  if (!Number.isFinite(durationMs) || durationMs < 0) throw new Error(`durationMs must be a non-negative number`);
  const { jobRuns, jobDuration } = processMetrics();
  jobRuns.inc({ job, outcome });
  jobDuration.observe({ job, outcome }, durationMs / SECONDS);
}
