import { type Database, queryOne, queryRows, withTenant } from "@coursebase/db";
import {
  countProgressHistoryDefaultRows,
  dropProgressHistoryPartitionsBefore,
  ensureProgressHistoryPartitions,
  listProgressHistoryPartitions,
  progressHistoryPartitionName,
} from "@coursebase/db/queries/history";
import { type RecordProgressRequest, recordProgress, recordProgressInput } from "@coursebase/db/queries/progress";
import { seedDatabase } from "@coursebase/db/seed/index";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { databaseError } from "../support/errors.ts";
import { type FixtureTimes, ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

/**
 * progress_history (drizzle/0008_progress_history.sql, docs/progress-history.md) on the fixture
 * (tests/support/fixture.ts): Sam is ACTIVE in C1 (lessons L1-L4) and C2 (L5-L6), Bea in C5 (L7)
 * at Southbank. The migration created the partitions of the current month and the next three.
 */
interface HistoryRow {
  institutionId: string;
  eventId: string;
  studentId: string;
  lessonId: string;
  courseId: string;
  timeSpent: number;
  score: string | null;
  completedAtMs: number | null;
  occurredAtMs: number;
  recordedAtMs: number;
  partition: string;
}

const historyRows = (db: Database, where = sql`true`) =>
  queryRows<HistoryRow>(
    db,
    sql`select institution_id as "institutionId", event_id as "eventId", student_id as "studentId",
               lesson_id as "lessonId", course_id as "courseId", time_spent as "timeSpent", score::text as score,
               (extract(epoch from completed_at) * 1000)::float8 as "completedAtMs",
               (extract(epoch from occurred_at) * 1000)::float8 as "occurredAtMs",
               (extract(epoch from recorded_at) * 1000)::float8 as "recordedAtMs",
               tableoid::regclass::text as partition
          from progress_history where ${where} order by event_id`,
  );

type Update = RecordProgressRequest["updates"][number];
const samC1 = (eventId: string, lessonId: string, timeSpent: number, extra: Partial<Update> = {}): Update => ({
  eventId,
  studentId: ids.sam,
  lessonId,
  courseId: ids.c1,
  timeSpent,
  ...extra,
});

const utc = (iso: string) => new Date(iso);

describe("progress_history", () => {
  let database: TestDatabase;
  let db: Database;
  let times: FixtureTimes;

  const record = (updates: Update[]) =>
    callerAs(createTestServices(database), as.northwindToken).progress.record({ updates });

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    times = await loadFixture(db);
  });
  afterAll(() => database?.destroy());

  it("is partitioned by month with a default partition; the migration created this month and three ahead", async () => {
    const partitions = await listProgressHistoryPartitions(db);
    const thisMonth = new Date(Date.UTC(times.now.getUTCFullYear(), times.now.getUTCMonth(), 1));
    const months = [0, 1, 2, 3].map(
      (i) => new Date(Date.UTC(thisMonth.getUTCFullYear(), thisMonth.getUTCMonth() + i, 1)),
    );
    const monthly = partitions.filter((p) => !p.isDefault);
    for (const month of months) {
      const next = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
      expect(monthly).toContainEqual(
        expect.objectContaining({ name: progressHistoryPartitionName(month), from: month, to: next }),
      );
    }
    expect(partitions.at(-1)).toMatchObject({
      name: "progress_history_default",
      isDefault: true,
      from: null,
      to: null,
    });
    expect(progressHistoryPartitionName(utc("2026-11-30T23:59:59Z"))).toBe("progress_history_y2026m11");
    for (const p of partitions) expect(p.bytes).toBeGreaterThan(0);
  });

  it("appends each applied event once, as it was sent; a retry appends nothing", async () => {
    const completedAt = new Date(times.now.getTime() - 3_600_000);
    const batch = [
      samC1("h-1", ids.l3, 300, { completedAt, score: 72.5 }),
      samC1("h-2", ids.l4, 45),
      samC1("h-3", ids.l4, 15),
    ];
    const before = Date.now();
    const first = await record(batch);
    const after = Date.now();
    expect(first.applied).toBe(3);

    const rows = await historyRows(db, sql`event_id like 'h-%'`);
    expect(rows.map((r) => [r.eventId, r.lessonId, r.timeSpent, r.score, r.completedAtMs])).toEqual([
      ["h-1", ids.l3, 300, "72.50", completedAt.getTime()],
      ["h-2", ids.l4, 45, null, null],
      ["h-3", ids.l4, 15, null, null],
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({ institutionId: ids.northwind, studentId: ids.sam, courseId: ids.c1 });
      // recorded_at is the transaction's time, within the call.
      expect(r.recordedAtMs).toBeGreaterThanOrEqual(before - 1000);
      expect(r.recordedAtMs).toBeLessThanOrEqual(after + 1000);
    }
    // occurred_at: the completion time, else the time it was recorded.
    expect(rows[0]?.occurredAtMs).toBe(completedAt.getTime());
    expect(rows[1]?.occurredAtMs).toBe(rows[1]?.recordedAtMs);
    expect(rows[0]?.partition).toBe(progressHistoryPartitionName(completedAt));

    // The same batch again (a retry), then a batch mixing a retried id with a new one.
    const retry = await record(batch);
    expect(retry).toMatchObject({ applied: 0, duplicates: 3 });
    const mixed = await record([samC1("h-2", ids.l4, 45), samC1("h-4", ids.l4, 5)]);
    expect(mixed).toMatchObject({ applied: 1, duplicates: 1 });
    const after2 = await historyRows(db, sql`event_id like 'h-%'`);
    expect(after2.map((r) => r.eventId)).toEqual(["h-1", "h-2", "h-3", "h-4"]);

    // History adds up to the current state's change: L4 had no row; 45 + 15 + 5 seconds, 3 attempts.
    const l4 = await queryOne<{ timeSpent: number; attempts: number }>(
      db,
      sql`select time_spent as "timeSpent", attempts from lesson_progress where student_id = ${ids.sam} and lesson_id = ${ids.l4}`,
    );
    expect(l4).toEqual({ timeSpent: 65, attempts: 3 });
  });

  it("writes nothing to the history when a batch is refused", async () => {
    await expect(
      record([samC1("h-refused-1", ids.l1, 10), samC1("h-refused-2", ids.l7, 10)]), // L7 is not in C1
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await historyRows(db, sql`event_id like 'h-refused-%'`)).toEqual([]);
  });

  it("keeps an event outside every partition in the default partition; upkeep moves it into its month", async () => {
    const longAgo = utc("2020-03-10T08:00:00Z");
    const result = await record([samC1("h-old", ids.l1, 60, { completedAt: longAgo })]);
    expect(result.applied).toBe(1);
    const [stranded] = await historyRows(db, sql`event_id = 'h-old'`);
    expect(stranded).toMatchObject({ partition: "progress_history_default", occurredAtMs: longAgo.getTime() });
    expect(await countProgressHistoryDefaultRows(db)).toBe(1);
    const total = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from progress_history`);

    const { created } = await ensureProgressHistoryPartitions(db, { now: times.now, monthsAhead: 3 });
    expect(created).toEqual(["progress_history_y2020m03"]);
    const [moved] = await historyRows(db, sql`event_id = 'h-old'`);
    expect(moved).toEqual({ ...stranded, partition: "progress_history_y2020m03" });
    expect(await countProgressHistoryDefaultRows(db)).toBe(0);
    expect(await queryOne(db, sql`select count(*)::int as n from progress_history`)).toEqual(total);
    // The moved partition has the parent's keys: the same event cannot be appended there twice.
    await expect(
      db.execute(sql`insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id,
                                                   time_spent, occurred_at)
                     select institution_id, event_id, student_id, lesson_id, course_id, time_spent, occurred_at
                       from progress_history where event_id = 'h-old'`),
    ).rejects.toThrow();
  });

  it("creates partitions ahead, idempotently", async () => {
    const now = utc("2031-01-20T12:00:00Z");
    const first = await ensureProgressHistoryPartitions(db, { now, monthsAhead: 2 });
    expect(first.created).toEqual([
      "progress_history_y2031m01",
      "progress_history_y2031m02",
      "progress_history_y2031m03",
    ]);
    expect(await ensureProgressHistoryPartitions(db, { now, monthsAhead: 2 })).toEqual({ created: [] });
    for (const monthsAhead of [-1, 1.5, 121]) {
      await expect(ensureProgressHistoryPartitions(db, { now, monthsAhead })).rejects.toThrow(RangeError);
    }
    await expect(ensureProgressHistoryPartitions(db, { now: new Date(Number.NaN), monthsAhead: 1 })).rejects.toThrow(
      RangeError,
    );
    const march = (await listProgressHistoryPartitions(db)).find((p) => p.name === "progress_history_y2031m03");
    expect(march).toMatchObject({
      from: utc("2031-03-01T00:00:00Z"),
      to: utc("2031-04-01T00:00:00Z"),
      isDefault: false,
    });
    // An event of a month created ahead goes to its partition, not the default.
    await db.execute(sql`insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id, time_spent, occurred_at)
                         values (${ids.northwind}, 'h-ahead', ${ids.sam}, ${ids.l1}, ${ids.c1}, 1, '2031-02-28T23:59:59.999Z')`);
    expect((await historyRows(db, sql`event_id = 'h-ahead'`))[0]?.partition).toBe("progress_history_y2031m02");
    await db.execute(sql`delete from progress_history where event_id = 'h-ahead'`);
  });

  it("drops only whole partitions that ended by the cutoff, never the default, never a newer one", async () => {
    const created = await ensureProgressHistoryPartitions(db, {
      now: utc("2019-03-15T00:00:00Z"),
      from: utc("2019-01-01T00:00:00Z"),
      monthsAhead: 0,
    });
    expect(created.created).toEqual([
      "progress_history_y2019m01",
      "progress_history_y2019m02",
      "progress_history_y2019m03",
    ]);
    await db.execute(sql`insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id, time_spent, occurred_at)
                         values (${ids.northwind}, 'h-jan', ${ids.sam}, ${ids.l1}, ${ids.c1}, 1, '2019-01-31T23:59:59Z'),
                                (${ids.northwind}, 'h-mar', ${ids.sam}, ${ids.l1}, ${ids.c1}, 1, '2019-03-01T00:00:00Z')`);

    // March 2019 ends on April 1st: a cutoff inside March keeps it (it holds newer instants).
    const dropped = await dropProgressHistoryPartitionsBefore(db, utc("2019-03-20T00:00:00Z"));
    expect(dropped.dropped).toEqual(["progress_history_y2019m01", "progress_history_y2019m02"]);
    expect((await historyRows(db, sql`event_id in ('h-jan', 'h-mar')`)).map((r) => r.eventId)).toEqual(["h-mar"]);
    expect(await dropProgressHistoryPartitionsBefore(db, utc("2019-03-31T23:59:59Z"))).toEqual({ dropped: [] });
    expect(await dropProgressHistoryPartitionsBefore(db, utc("2019-04-01T00:00:00Z"))).toEqual({
      dropped: ["progress_history_y2019m03"],
    });

    // A cutoff beyond every partition drops the monthly ones that ended, and keeps the default.
    const names = (await listProgressHistoryPartitions(db)).map((p) => p.name);
    expect(names).toContain("progress_history_default");
    const far = await dropProgressHistoryPartitionsBefore(db, utc("2020-04-01T00:00:00Z"));
    expect(far.dropped).toEqual(["progress_history_y2020m03"]);
    expect((await listProgressHistoryPartitions(db)).map((p) => p.name)).toContain("progress_history_default");
  });

  it("is append-only and tenant-scoped for the application role", async () => {
    const visible = await withTenant(db, ids.southbank, (tx) =>
      queryOne<{ n: number }>(tx, sql`select count(*)::int as n from progress_history`),
    );
    expect(visible?.n).toBe(0); // every event so far is Northwind's
    const northwind = await withTenant(db, ids.northwind, (tx) =>
      queryOne<{ n: number }>(tx, sql`select count(*)::int as n from progress_history where event_id like 'h-%'`),
    );
    expect(northwind?.n).toBe(4); // h-1..h-4 (h-old was dropped with its month)
    expect(
      await databaseError(
        withTenant(db, ids.northwind, (tx) => tx.execute(sql`delete from progress_history where event_id = 'h-1'`)),
      ),
    ).toMatch(/permission denied/);
    expect(
      await databaseError(
        withTenant(db, ids.northwind, (tx) => tx.execute(sql`update progress_history set time_spent = 0`)),
      ),
    ).toMatch(/permission denied/);
    // Another tenant's row cannot be appended either (the policy's WITH CHECK).
    expect(
      await databaseError(
        withTenant(db, ids.southbank, (tx) =>
          tx.execute(sql`insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id, time_spent, occurred_at)
                         values (${ids.northwind}, 'h-forged', ${ids.sam}, ${ids.l1}, ${ids.c1}, 1, now())`),
        ),
      ),
    ).toMatch(/row-level security/);
    // Partitions are not granted: the application reaches rows only through the parent's policy.
    expect(
      await databaseError(
        withTenant(db, ids.southbank, (tx) =>
          tx.execute(sql.raw(`select count(*) from ${progressHistoryPartitionName(times.now)}`)),
        ),
      ),
    ).toMatch(/permission denied/);
  });

  it("appends inside a caller's transaction without a savepoint of its own, and rolls back with it", async () => {
    const input = recordProgressInput.parse({ updates: [samC1("h-tx", ids.l2, 30)] });
    await expect(
      db.transaction(async (tx) => {
        const result = await recordProgress(tx as unknown as Database, input);
        expect(result.applied).toBe(1);
        expect(await historyRows(tx as unknown as Database, sql`event_id = 'h-tx'`)).toHaveLength(1);
        throw new Error("caller aborts");
      }),
    ).rejects.toThrow("caller aborts");
    expect(await historyRows(db, sql`event_id = 'h-tx'`)).toEqual([]);
  });
});

describe("progress_history from the data generator", () => {
  let database: TestDatabase;
  const ANCHOR = utc("2026-03-02T00:00:00Z");

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedDatabase(database, { scale: 0.015, seed: 11, anchor: ANCHOR });
  });
  afterAll(() => database?.destroy());

  it("adds up, per student and lesson, to lesson_progress: events = attempts, time, completion, last score", async () => {
    const mismatch = await queryOne<Record<string, number>>(
      database.db,
      sql`
      with h as (
        select student_id, lesson_id, count(*)::int as events, sum(time_spent)::int as time_spent,
               count(completed_at)::int as completions, min(completed_at) as completed_at,
               (array_agg(score order by occurred_at desc) filter (where score is not null))[1] as score,
               min(occurred_at) as first_at, max(occurred_at) as last_at
          from progress_history group by student_id, lesson_id
      )
      select count(*)::int as "progressRows",
             count(*) filter (where h.student_id is null)::int as "withoutHistory",
             count(*) filter (where lp.completed_at is not null and h.completions <> 1)::int as "completedWithoutOneCompletion",
             count(*) filter (where h.events <> lp.attempts or h.time_spent <> lp.time_spent
                                 or h.completed_at is distinct from lp.completed_at
                                 or h.score is distinct from lp.score)::int as "disagreeing",
             count(*) filter (where h.first_at < lp.created_at or h.last_at > lp.updated_at)::int as "outsideTheRow",
             (select count(*) from progress_history)::int as "historyRows",
             (select sum(attempts) from lesson_progress)::int as attempts,
             (select count(*) from progress_history_default)::int as "inDefault",
             (select count(*) from progress_history h2
               where not exists (select from lesson_progress l where l.student_id = h2.student_id
                                                                and l.lesson_id = h2.lesson_id))::int as orphans
        from lesson_progress lp
        left join h on h.student_id = lp.student_id and h.lesson_id = lp.lesson_id`,
    );
    expect(mismatch?.progressRows).toBeGreaterThan(5_000);
    expect(mismatch).toMatchObject({
      withoutHistory: 0,
      completedWithoutOneCompletion: 0,
      disagreeing: 0,
      outsideTheRow: 0,
      inDefault: 0,
      orphans: 0,
    });
    expect(mismatch?.historyRows).toBe(mismatch?.attempts);
  });

  it("spreads activity over the past months, each month in its partition, and creates months ahead", async () => {
    const months = await queryRows<{ partition: string; events: number }>(
      database.db,
      sql`select tableoid::regclass::text as partition, count(*)::int as events
            from progress_history group by 1 order by 1`,
    );
    expect(months.length).toBeGreaterThanOrEqual(6);
    expect(months.map((m) => m.partition)).toContain("progress_history_y2026m02");
    const misplaced = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from progress_history
           where tableoid::regclass::text <> 'progress_history_y' || to_char(occurred_at at time zone 'UTC', 'YYYY"m"MM')`,
    );
    expect(misplaced?.n).toBe(0);
    const names = (await listProgressHistoryPartitions(database.db)).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["progress_history_y2026m03", "progress_history_y2026m06"]));
  });
});
