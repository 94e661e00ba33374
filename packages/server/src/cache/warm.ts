/**
 * Start-up warming (issue 5: "Popular courses are warmed on start"): after the server listens,
 * the analytics of the most followed courses are computed into the cache, so that the first
 * people to open them after a deploy or a restart do not pay the cold computation.
 *
 * Bounded on every side: at most `courses` courses, `concurrency` computations at a time (the
 * pool stays free for requests), and nothing starts after `budgetMs`; it runs in the background
 * and never delays readiness; a failure is logged and counted, never thrown; `stop()` (on
 * shutdown) lets the computations in flight finish and starts no more. With CACHE=off there is
 * nothing to warm. With Redis, an entry another process already warmed is a hit and costs one
 * round trip.
 *
 * The entries are exactly what routers/analytics.ts caches for the course page of the admin app
 * (the last `rangesDays` calendar days ending today in UTC, as packages/admin/src/lib/format.ts
 * `lastDays` asks for them), for the institution's administrators (staff scope null) and for the
 * course's lead instructor (their staff scope), each computed as the procedure computes it: in a
 * tenant transaction, on the read database. tests/cache/warm.test.ts checks that a warmed entry
 * is the very one the procedure then reads.
 */
import { type Database, queryRows, withTenant } from "@coursebase/db";
import { type AnalyticsScope, getCourseAnalytics } from "@coursebase/db/queries/analytics";
import { sql } from "drizzle-orm";
import { cacheKeys } from "./keys.ts";
import type { Cache, CacheLogger, WarmEntry, WarmResult } from "./types.ts";

export interface WarmupConfig {
  /** CACHE_WARM_COURSES (default 50; 0 disables warming): how many popular courses. */
  courses: number;
  /** CACHE_WARM_RANGES_DAYS (default "30": the admin app's default range): ranges ending today. */
  rangesDays: number[];
  /** CACHE_WARM_CONCURRENCY (default 2): computations at a time. */
  concurrency: number;
  /** CACHE_WARM_BUDGET_MS (default 60000): no computation starts after this. */
  budgetMs: number;
}

function positiveIntegers(raw: string, name: string): number[] {
  const values = raw.split(",").map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value <= 0 || value > 366)) {
    throw new Error(`${name} must be a comma-separated list of day counts from 1 to 366, got "${raw}"`);
  }
  return values;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

export function warmupConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WarmupConfig {
  return {
    courses: integer(env, "CACHE_WARM_COURSES", 50, 0),
    rangesDays: positiveIntegers(env.CACHE_WARM_RANGES_DAYS || "30", "CACHE_WARM_RANGES_DAYS"),
    concurrency: integer(env, "CACHE_WARM_CONCURRENCY", 2, 1),
    budgetMs: integer(env, "CACHE_WARM_BUDGET_MS", 60_000, 1),
  };
}

export interface PopularCourse {
  courseId: string;
  institutionId: string;
  instructorId: string;
}

/**
 * The published courses with the most ACTIVE enrollments, across institutions (as the owner:
 * start-up has no tenant). One index-only pass over enrollments_course_id_status_idx.
 */
export function popularCourses(db: Database, limit: number): Promise<PopularCourse[]> {
  return queryRows<PopularCourse>(
    db,
    sql`select c.id as "courseId", c.institution_id as "institutionId", c.instructor_id as "instructorId"
          from (select course_id, count(*) as learners from enrollments
                 where status = 'ACTIVE' group by course_id) e
          join courses c on c.id = e.course_id
         where c.status = 'PUBLISHED'
         order by e.learners desc, c.id
         limit ${limit}`,
  );
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The `days` calendar days ending on `today`'s UTC date, inclusive (the admin app's `lastDays`). */
export function lastDaysRange(days: number, today: Date): { start: string; end: string } {
  return { start: isoDay(today.getTime() - (days - 1) * DAY_MS), end: isoDay(today.getTime()) };
}

/** The cache entries of one course's analytics page: per range, the administrators' and the lead instructor's view. */
export function courseAnalyticsEntries(
  cache: Cache,
  readDb: Database,
  course: PopularCourse,
  ranges: ReadonlyArray<{ start: string; end: string }>,
): WarmEntry[] {
  const entries: WarmEntry[] = [];
  for (const range of ranges) {
    const input = { courseId: course.courseId, ...range };
    const scopes: AnalyticsScope[] = [
      { institutionId: course.institutionId },
      { institutionId: course.institutionId, staffUserId: course.instructorId },
    ];
    for (const scope of scopes) {
      entries.push({
        // The key routers/analytics.ts builds for this viewer and range.
        key: cacheKeys.courseAnalytics(course.institutionId, course.courseId, {
          ...range,
          staff: scope.staffUserId ?? null,
        }),
        ttlSeconds: cache.ttl.analyticsSeconds,
        compute: () => withTenant(readDb, course.institutionId, (tx) => getCourseAnalytics(tx, input, scope)),
      });
    }
  }
  return entries;
}

export type WarmupState = "idle" | "running" | "done" | "stopped" | "failed" | "off";

export interface WarmupStatus {
  state: WarmupState;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Popular courses found. */
  courses: number;
  /** Cache entries offered, computed (not cached yet), failed (see WarmResult). */
  entries: number;
  computed: number;
  failed: number;
  /** Entries left out because the budget ran out or the server stopped. */
  skipped: number;
  error: string | null;
}

export interface Warmup {
  readonly done: Promise<WarmupStatus>;
  status(): WarmupStatus;
  /** Starts no more computations; resolves when those in flight have finished. */
  stop(): Promise<WarmupStatus>;
}

/** The last warm-up started over each cache, for ops.runtime. */
const statuses = new WeakMap<Cache, () => WarmupStatus>();

export function warmupStatusOf(cache: Cache): WarmupStatus | undefined {
  return statuses.get(cache)?.();
}

export interface WarmupServices {
  cache: Cache;
  database: { db: Database; readDb: Database; driver?: "postgres" | "pglite" };
  logger: CacheLogger;
}

/** Starts warming in the background; the returned handle reports and stops it. */
export function startWarmup(
  services: WarmupServices,
  config: WarmupConfig,
  options: { now?: () => Date } = {},
): Warmup {
  const { cache, database, logger } = services;
  const now = options.now ?? (() => new Date());
  const status: WarmupStatus = {
    state: "idle",
    startedAt: null,
    finishedAt: null,
    courses: 0,
    entries: 0,
    computed: 0,
    failed: 0,
    skipped: 0,
    error: null,
  };
  statuses.set(cache, () => ({ ...status }));
  let stopped = false;

  const run = async (): Promise<WarmupStatus> => {
    if (cache.mode === "off" || config.courses === 0) {
      status.state = "off";
      return { ...status };
    }
    status.state = "running";
    status.startedAt = now();
    const deadline = performance.now() + config.budgetMs;
    try {
      const courses = await popularCourses(database.db, config.courses);
      status.courses = courses.length;
      const today = now();
      const ranges = config.rangesDays.map((days) => lastDaysRange(days, today));
      const all = courses.flatMap((course) => courseAnalyticsEntries(cache, database.readDb, course, ranges));
      // Handed out one at a time, so that the budget and stop() are checked before each start.
      function* bounded(): Generator<WarmEntry> {
        for (const [index, entry] of all.entries()) {
          if (stopped || performance.now() > deadline) {
            status.skipped = all.length - index;
            return;
          }
          yield entry;
        }
      }
      // PGlite has one connection, shared with the requests: one computation at a time there.
      const concurrency = database.driver === "pglite" ? 1 : config.concurrency;
      const result: WarmResult = await cache.warm(bounded(), { concurrency });
      Object.assign(status, { entries: result.entries, computed: result.computed, failed: result.failed });
      status.state = stopped ? "stopped" : "done";
      logger.info(
        { courses: status.courses, ...result, skipped: status.skipped },
        "cache warm-up of popular courses finished",
      );
    } catch (error) {
      status.state = "failed";
      status.error = error instanceof Error ? error.message : String(error);
      logger.warn({ err: status.error }, "cache warm-up of popular courses failed");
    } finally {
      status.finishedAt = now();
    }
    return { ...status };
  };

  const done = run();
  return {
    done,
    status: () => ({ ...status }),
    stop() {
      stopped = true;
      return done;
    },
  };
}

/**
 * Wires warming into a server: the configuration is read now (a bad setting fails start-up, not
 * later), `start()` is called once listening, and closing the server stops it before the services
 * (and their database) are closed.
 */
export function registerWarmup(
  app: { addHook(name: "onClose", hook: () => Promise<void>): unknown },
  services: WarmupServices,
  config: WarmupConfig = warmupConfigFromEnv(),
): { start(): Warmup } {
  let warmup: Warmup | undefined;
  app.addHook("onClose", async () => {
    await warmup?.stop();
  });
  return {
    start() {
      warmup ??= startWarmup(services, config);
      return warmup;
    },
  };
}
