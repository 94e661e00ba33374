import { createDatabase, type DatabaseHandle } from "@coursebase/db";
import { queryOne } from "@coursebase/db/execute";
import type { createCaller } from "@coursebase/server";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// READ_DATABASE_URL against a real streaming replica of this machine's PostgreSQL
// (scripts/replica.sh: pg_basebackup, hot standby on 127.0.0.1:5433). `.ci/run` starts one and
// sets REQUIRE_REPLICA=1, so there a missing replica fails the run instead of skipping.
const replicaServer = process.env.TEST_REPLICA_URL ?? "postgres://postgres@127.0.0.1:5433/postgres";
const required = process.env.REQUIRE_REPLICA === "1";

async function replicaAnswers(): Promise<boolean> {
  const probe = postgres(replicaServer, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    const [row] = await probe<{ standby: boolean }[]>`select pg_is_in_recovery() as standby`;
    return row?.standby === true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

const available = await replicaAnswers();
if (!available && required) {
  throw new Error(`REQUIRE_REPLICA=1 but no hot standby answers at ${replicaServer}: run scripts/replica.sh start`);
}

/** Polls `check` until it holds: replication is asynchronous, so the replica lags by a little. */
async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  let last: T = await read();
  while (!holds(last)) {
    if (Date.now() > deadline) throw new Error(`the replica never showed ${what}; last read: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}

describe.skipIf(!available)("read replica (READ_DATABASE_URL)", () => {
  let primary: TestDatabase;
  let withReplica: DatabaseHandle;
  let northwind: ReturnType<typeof createCaller>;

  beforeAll(async () => {
    primary = await createTestDatabase("postgres");
    await loadFixture(primary.db);
    const replicaUrl = new URL(replicaServer);
    replicaUrl.pathname = new URL(primary.url as string).pathname;
    // The database and the fixture reach the standby by replay: wait for both before using it.
    const standby = postgres(replicaUrl.toString(), { max: 1, onnotice: () => {} });
    try {
      await eventually(
        async () => {
          try {
            const [row] = await standby<{ n: number }[]>`select count(*)::int as n from courses`;
            return row?.n ?? 0;
          } catch {
            return 0; // the database itself has not been replayed yet
          }
        },
        (courses) => courses === 5,
        "the fixture's 5 courses",
      );
    } finally {
      await standby.end();
    }
    withReplica = await createDatabase({ url: primary.url, readUrl: replicaUrl.toString() });
    northwind = callerAs(createTestServices(withReplica), as.northwindAdmin);
  });

  afterAll(async () => {
    // Close the standby's connections first: dropping the database replays there too.
    await withReplica?.close();
    await primary?.destroy();
  });

  it("reads through a hot standby and writes through the primary", async () => {
    const standby = await queryOne<{ recovering: boolean }>(
      withReplica.readDb,
      sql`select pg_is_in_recovery() as recovering`,
    );
    const writer = await queryOne<{ recovering: boolean }>(
      withReplica.db,
      sql`select pg_is_in_recovery() as recovering`,
    );
    expect(standby?.recovering).toBe(true);
    expect(writer?.recovering).toBe(false);
  });

  it("serves search from the replica, and a course published on the primary becomes searchable there", async () => {
    const search = () => northwind.search.courses({ query: "data science", page: 1, limit: 10 });
    // C3 "Data Science" is a DRAFT in the fixture: not in search yet.
    expect((await search()).courses.map((course) => course.id)).not.toContain(ids.c3);

    await primary.db.execute(
      sql`update courses set status = 'PUBLISHED', published_at = now() where id = ${ids.c3}::uuid`,
    );

    const found = await eventually(
      search,
      (result) => result.courses.some((course) => course.id === ids.c3),
      "C3 published",
    );
    expect(found.courses.find((course) => course.id === ids.c3)?.title).toMatch(/data science/i);
  });

  it("records progress on the primary (the standby refuses writes) and analytics sees it through the replica", async () => {
    // The standby itself is read-only: a write sent there fails, so progress.record succeeding
    // proves writes are routed to the primary even with a replica configured.
    await expect(withReplica.readDb.execute(sql`create table replica_write_probe (id int)`)).rejects.toThrow();

    const completedAt = new Date();
    const result = await northwind.progress.record({
      updates: [
        {
          eventId: "replica-sam-l3",
          studentId: ids.sam,
          lessonId: ids.l3,
          courseId: ids.c1,
          timeSpent: 300,
          score: 90,
          completedAt,
        },
      ],
    });
    expect(result.applied).toBe(1);

    const day = completedAt.toISOString().slice(0, 10);
    const analytics = await eventually(
      () => northwind.analytics.course({ courseId: ids.c1, start: day, end: day }),
      (report) => report.series.some((point) => point.lessonsCompleted > 0),
      "today's completion of L3",
    );
    expect(analytics.series).toHaveLength(1);
    expect(analytics.series[0]?.lessonsCompleted).toBeGreaterThanOrEqual(1);
  });
});
