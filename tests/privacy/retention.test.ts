import { randomUUID } from "node:crypto";
import { queryOne, queryRows, schema } from "@coursebase/db";
import { ensureProgressHistoryPartitions, listProgressHistoryPartitions } from "@coursebase/db/queries/history";
import { applyRetention } from "@coursebase/db/queries/retention";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

const DAY = 86_400_000;
/** The same instant `n` calendar months earlier (UTC), as PostgreSQL's interval arithmetic does it. */
function monthsBefore(date: Date, n: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() - n);
  return d;
}

// Retention: whole partitions go once older than every institution's window; a shorter window is
// honoured by deletes of that institution's rows in the partitions that remain; nothing newer
// than a window is touched; inactive accounts are anonymised past theirs.
describe("retention", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;
  // Mid-month, mid-day: every cutoff below falls well inside a month.
  const now = new Date(Date.UTC(2026, 10, 15, 12, 0, 0));
  const northwindCutoff = monthsBefore(now, 12); // 2025-11-15
  const southbankCutoff = monthsBefore(now, 24); // 2024-11-15: the earliest, so the partition cutoff
  const events = {
    northwindDropped: monthsBefore(now, 30), // 2024-05: its partition ends before 2024-11-15
    northwindStraggler: monthsBefore(now, 60), // no monthly partition: in the default partition
    northwindExpired: monthsBefore(now, 18), // 2025-05: partition kept (Southbank's window), row deleted
    northwindKept: monthsBefore(now, 6),
    southbankDropped: monthsBefore(now, 30),
    southbankJustExpired: new Date(southbankCutoff.getTime() - DAY), // 2024-11-14: in the kept boundary partition
    southbankJustKept: new Date(southbankCutoff.getTime() + DAY), // 2024-11-16
    southbankKept: monthsBefore(now, 18),
  };
  const oldStudent = randomUUID();
  const recentStudent = randomUUID();
  const oldAdmin = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db, now);
    services = createTestServices(database);
    // Monthly partitions from 36 months back (the straggler, 60 months back, has none).
    await ensureProgressHistoryPartitions(database.db, { now, monthsAhead: 1, from: monthsBefore(now, 36) });
    const row = (
      name: keyof typeof events,
      institutionId: string,
      studentId: string,
      courseId: string,
      lessonId: string,
    ) =>
      sql`(${institutionId}::uuid, ${name}, ${studentId}::uuid, ${lessonId}::uuid, ${courseId}::uuid, 60, ${events[name]}::timestamptz)`;
    const n = [ids.northwind, ids.sam, ids.c1, ids.l1] as const;
    const s = [ids.southbank, ids.bea, ids.c5, ids.l7] as const;
    await database.db.execute(
      sql`insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id, time_spent, occurred_at)
          values ${sql.join(
            [
              row("northwindDropped", ...n),
              row("northwindStraggler", ...n),
              row("northwindExpired", ...n),
              row("northwindKept", ...n),
              row("southbankDropped", ...s),
              row("southbankJustExpired", ...s),
              row("southbankJustKept", ...s),
              row("southbankKept", ...s),
            ],
            sql`, `,
          )}`,
    );
    // Southbank: a student last seen 6 years ago (default window: 5 years), one seen last year,
    // and an administrator as old as the first (administrators are never anonymised).
    const longAgo = monthsBefore(now, 72);
    await database.db.insert(schema.users).values([
      {
        id: oldStudent,
        email: `old.${oldStudent}@southbank.ac.uk`,
        name: "Olive Oldtimer",
        role: "STUDENT",
        institutionId: ids.southbank,
        createdAt: longAgo,
        lastLoginAt: longAgo,
        profileData: { city: "Gone" },
      },
      {
        id: recentStudent,
        email: `recent.${recentStudent}@southbank.ac.uk`,
        name: "Rita Recent",
        role: "STUDENT",
        institutionId: ids.southbank,
        createdAt: longAgo,
        lastLoginAt: monthsBefore(now, 12),
      },
      {
        id: oldAdmin,
        email: `admin.${oldAdmin}@southbank.ac.uk`,
        name: "Archie Admin",
        role: "ADMIN",
        institutionId: ids.southbank,
        createdAt: longAgo,
        lastLoginAt: longAgo,
      },
    ]);
  });
  afterAll(() => database.destroy());

  it("retention.get shows the defaults; retention.update sets a policy, audited; strict input; admins only", async () => {
    const northwind = callerAs(services, as.northwindAdmin);
    expect(await northwind.retention.get()).toEqual({
      progressHistoryMonths: 24,
      inactiveAccountYears: 5,
      isDefault: true,
      updatedAt: null,
      updatedBy: null,
    });
    const updated = await northwind.retention.update({ progressHistoryMonths: 12, inactiveAccountYears: 5 });
    expect(updated).toMatchObject({
      progressHistoryMonths: 12,
      inactiveAccountYears: 5,
      isDefault: false,
      updatedBy: ids.admin,
    });
    const audit = await northwind.audit.list({ action: "retention.update" });
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]?.details).toEqual({
      before: { progressHistoryMonths: 24, inactiveAccountYears: 5 },
      after: { progressHistoryMonths: 12, inactiveAccountYears: 5 },
    });
    // Southbank keeps the defaults, and does not see Northwind's policy.
    expect((await callerAs(services, as.southbankToken).retention.get()).isDefault).toBe(true);

    expect(await outcome(northwind.retention.update({ progressHistoryMonths: 0, inactiveAccountYears: 5 }))).toBe(
      "BAD_REQUEST",
    );
    expect(await outcome(northwind.retention.update({ progressHistoryMonths: 121, inactiveAccountYears: 5 }))).toBe(
      "BAD_REQUEST",
    );
    expect(await outcome(northwind.retention.update({ progressHistoryMonths: 1.5, inactiveAccountYears: 5 }))).toBe(
      "BAD_REQUEST",
    );
    const extra = { progressHistoryMonths: 6, inactiveAccountYears: 5, keepForever: true } as {
      progressHistoryMonths: number;
      inactiveAccountYears: number;
    };
    expect(await outcome(northwind.retention.update(extra))).toBe("BAD_REQUEST");
    expect(await outcome(callerAs(services, as.sam).retention.get())).toBe("FORBIDDEN");
    expect(
      await outcome(callerAs(services, as.ada).retention.update({ progressHistoryMonths: 1, inactiveAccountYears: 1 })),
    ).toBe("FORBIDDEN");
    expect(await outcome(callerAs(services, null).retention.get())).toBe("UNAUTHORIZED");
    expect((await northwind.retention.get()).progressHistoryMonths).toBe(12);
  });

  it("drops the partitions older than every window, nothing newer, and honours a shorter window row by row", async () => {
    const partitionsBefore = await listProgressHistoryPartitions(database.db);
    const result = await applyRetention(database.db, { now });

    expect(result.partitionCutoff).toEqual(southbankCutoff);
    // Exactly the monthly partitions that end at or before 2024-11-15: 2023-11 .. 2024-10.
    const expired = partitionsBefore.filter((p) => p.to !== null && p.to.getTime() <= southbankCutoff.getTime());
    expect(expired.map((p) => p.name)).toEqual(
      Array.from(
        { length: 12 },
        (_, i) => `progress_history_y${i < 2 ? 2023 : 2024}m${String(((10 + i) % 12) + 1).padStart(2, "0")}`,
      ),
    );
    expect(result.droppedPartitions.sort()).toEqual(expired.map((p) => p.name).sort());
    const partitionsAfter = await listProgressHistoryPartitions(database.db);
    expect(partitionsAfter.map((p) => p.name).sort()).toEqual(
      partitionsBefore
        .filter((p) => !expired.includes(p))
        .map((p) => p.name)
        .sort(),
    );
    expect(partitionsAfter.some((p) => p.name === "progress_history_y2024m11")).toBe(true);
    expect(partitionsAfter.some((p) => p.isDefault)).toBe(true);

    const remaining = await queryRows<{ event_id: string }>(
      database.db,
      sql`select event_id from progress_history order by event_id`,
    );
    expect(remaining.map((r) => r.event_id)).toEqual(["northwindKept", "southbankJustKept", "southbankKept"]);
    const byInstitution = Object.fromEntries(result.institutions.map((i) => [i.institutionId, i]));
    // Northwind: the 18-month-old row (kept partition) and the default-partition straggler.
    expect(byInstitution[ids.northwind]).toMatchObject({ historyCutoff: northwindCutoff, historyRowsDeleted: 2 });
    // Southbank: the row a day older than its cutoff, in the boundary partition that stays.
    expect(byInstitution[ids.southbank]).toMatchObject({ historyCutoff: southbankCutoff, historyRowsDeleted: 1 });
    expect(result.complete).toBe(true);
  });

  it("anonymises accounts inactive past the window, never administrators or recent ones; runs again harmlessly", async () => {
    const people = await queryRows<{ id: string; name: string; is_active: boolean }>(
      database.db,
      sql`select id, name, is_active from users where id in (${oldStudent}, ${recentStudent}, ${oldAdmin}) order by name`,
    );
    expect(Object.fromEntries(people.map((p) => [p.id, p.name]))).toEqual({
      [oldStudent]: "Erased user",
      [recentStudent]: "Rita Recent",
      [oldAdmin]: "Archie Admin",
    });
    const olive = await queryOne<{ email: string; profile_data: unknown }>(
      database.db,
      sql`select email, profile_data from users where id = ${oldStudent}`,
    );
    expect(olive).toEqual({ email: `${oldStudent}@erased.invalid`, profile_data: {} });
    // The fixture's people were all created "now": none is touched.
    const fixtureNames = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from users where name = 'Erased user'`,
    );
    expect(fixtureNames[0]?.n).toBe(1);
    const audit = await callerAs(services, as.southbankToken).audit.list({ action: "retention.anonymise" });
    expect(audit.entries.map((e) => e.details.userIds)).toEqual([[oldStudent]]);

    const again = await applyRetention(database.db, { now });
    expect(again.droppedPartitions).toEqual([]);
    expect(again.historyRowsDeleted).toBe(0);
    expect(again.anonymisedUsers).toBe(0);
  });

  it("a bounded run reports that it is not complete, and the next one carries on", async () => {
    await database.db.execute(
      sql`insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id, time_spent, occurred_at)
          select ${ids.northwind}::uuid, 'bulk-' || g, ${ids.sam}::uuid, ${ids.l1}::uuid, ${ids.c1}::uuid, 1,
                 ${monthsBefore(now, 14)}::timestamptz + g * interval '1 minute'
          from generate_series(1, 5) g`,
    );
    const partial = await applyRetention(database.db, { now, batchSize: 2, maxBatches: 2 });
    expect(partial.historyRowsDeleted).toBe(4);
    expect(partial.complete).toBe(false);
    const rest = await applyRetention(database.db, { now, batchSize: 2, maxBatches: 2 });
    expect(rest.historyRowsDeleted).toBe(1);
    expect(rest.complete).toBe(true);
  });
});
