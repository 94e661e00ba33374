import { randomBytes, randomUUID } from "node:crypto";
import { queryOne, queryRows, schema } from "@coursebase/db";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { hashPassword } from "@coursebase/server/auth/passwords";
import { hashSecret } from "@coursebase/server/auth/secrets";
import { type Cache, cacheConfigFromEnv, createCache } from "@coursebase/server/cache/index";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices, personPrincipal } from "../support/services.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const runPrefix = `cbtest:privacy:${randomUUID()}:`;

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

/** Every text-like column of every table (partitions included), as the owner: no RLS. */
async function placesHolding(database: TestDatabase, needle: string): Promise<string[]> {
  const columns = await queryRows<{ table: string; column: string }>(
    database.db,
    sql`select c.table_name as "table", c.column_name as "column"
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
          and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
        order by 1, 2`,
  );
  const found: string[] = [];
  for (const { table, column } of columns) {
    const row = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from ${sql.identifier(table)}
          where strpos(lower(${sql.identifier(column)}::text), lower(${needle})) > 0`,
    );
    if ((row?.n ?? 0) > 0) found.push(`${table}.${column}`);
  }
  return found;
}

/** Redis keys under this test's prefix whose value holds `needle`. */
async function redisEntriesHolding(redis: Redis, needle: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${runPrefix}*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const value = await redis.get(key).catch(() => null);
      if (value?.toLowerCase().includes(needle.toLowerCase())) found.push(key);
    }
  } while (cursor !== "0");
  return found;
}

// Export then erase a generated student: the export holds their rows; afterwards no personal
// field of theirs is left in any table or cache entry, and course aggregates are unchanged.
describe("privacy: export and erasure of a person", () => {
  let database: TestDatabase;
  let cache: Cache;
  let redis: Redis;
  let services: ReturnType<typeof createTestServices>;
  const suffix = randomBytes(4).toString("hex");
  const zed = {
    id: randomUUID(),
    name: `Zed Quillfeather ${suffix}`,
    email: `zed.quillfeather.${suffix}@northwind.edu`,
    phone: `+44 7700 ${suffix}`,
  };
  const range = { start: "2026-01-01", end: "2026-12-31" };
  const api = () => callerAs(services, as.northwindAdmin);

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    const db = database.db;
    await db.insert(schema.users).values({
      id: zed.id,
      email: zed.email,
      name: zed.name,
      role: "STUDENT",
      institutionId: ids.northwind,
      departmentId: ids.deptMath,
      profileData: { phone: zed.phone, bio: `I am ${zed.name}` },
      preferences: { contactEmail: zed.email },
      lastLoginAt: new Date(),
    });
    await db.insert(schema.userCredentials).values({
      userId: zed.id,
      institutionId: ids.northwind,
      passwordHash: await hashPassword("correct horse battery staple"),
    });
    await db.insert(schema.enrollments).values([
      { studentId: zed.id, courseId: ids.c1, institutionId: ids.northwind, lastAccessAt: new Date() },
      { studentId: zed.id, courseId: ids.c2, institutionId: ids.northwind },
    ]);
    await db.insert(schema.sessions).values({
      tokenHash: hashSecret(`cbs_${suffix}`),
      userId: zed.id,
      institutionId: ids.northwind,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const [assignment] = await db
      .insert(schema.assignments)
      .values({
        courseId: ids.c1,
        institutionId: ids.northwind,
        title: "Limits",
        instructions: "Show work",
        maxPoints: "10",
      })
      .returning({ id: schema.assignments.id });
    const [submission] = await db
      .insert(schema.submissions)
      .values({
        assignmentId: String(assignment?.id),
        studentId: zed.id,
        institutionId: ids.northwind,
        content: `Answers by ${zed.name} (${zed.email})`,
      })
      .returning({ id: schema.submissions.id });
    await db.insert(schema.grades).values({
      submissionId: String(submission?.id),
      graderId: ids.ada,
      institutionId: ids.northwind,
      points: "8",
      feedback: `Well done, ${zed.name}`,
    });

    // Redis, under a prefix of this test's own (deleted afterwards).
    cache = await createCache({ ...cacheConfigFromEnv({}), mode: "redis", redisUrl: REDIS_URL, keyPrefix: runPrefix });
    redis = new Redis(REDIS_URL);
    services = createTestServices(database, cache);

    // Their progress through the API (it writes lesson_progress and progress_history), then
    // metadata holding their email, as an integration might have sent it.
    const token = callerAs(services, as.northwindToken);
    await token.progress.record({
      updates: [
        {
          eventId: `zed-${suffix}-1`,
          studentId: zed.id,
          lessonId: ids.l1,
          courseId: ids.c1,
          timeSpent: 600,
          score: 90,
          completedAt: new Date(),
        },
        { eventId: `zed-${suffix}-2`, studentId: zed.id, lessonId: ids.l2, courseId: ids.c1, timeSpent: 300 },
        {
          eventId: `zed-${suffix}-3`,
          studentId: zed.id,
          lessonId: ids.l5,
          courseId: ids.c2,
          timeSpent: 120,
          completedAt: new Date(),
        },
      ],
    });
    await db.execute(
      sql`update lesson_progress set metadata = ${JSON.stringify({ device: "laptop", reporter: zed.email })}::jsonb
          where student_id = ${zed.id}`,
    );
    // A token acting as them (minted through the API, so it is audited like any other).
    await api().tokens.create({ name: "quiz app sync", role: "STUDENT", userId: zed.id });
    await refreshCourseSummary(db);
  });

  afterAll(async () => {
    if (!redis) return database?.destroy(); // set-up failed before Redis
    const doomed: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${runPrefix}*`, "COUNT", 500);
      cursor = next;
      doomed.push(...keys);
    } while (cursor !== "0");
    if (doomed.length > 0) await redis.del(...doomed);
    redis.disconnect();
    await cache?.close();
    await database?.destroy();
  });

  let before: {
    analytics: unknown;
    analyticsC2: unknown;
    summary: unknown;
    enrollments: unknown;
    progress: unknown;
  };

  it("the export holds every row about them, and no secret", async () => {
    const document = await api().privacy.exportUser({ userId: zed.id });
    expect(document.user).toMatchObject({ id: zed.id, email: zed.email, name: zed.name, role: "STUDENT" });
    expect(document.user.profile_data).toEqual({ phone: zed.phone, bio: `I am ${zed.name}` });
    expect(document.institution).toMatchObject({ id: ids.northwind, domain: "northwind.edu" });
    expect(document.department).toMatchObject({ id: ids.deptMath });
    expect(document.enrollments.map((row) => row.course_id).sort()).toEqual([ids.c1, ids.c2].sort());
    expect(document.lessonProgress.map((row) => row.lesson_id).sort()).toEqual([ids.l1, ids.l2, ids.l5].sort());
    expect(document.progressHistory.map((row) => row.event_id).sort()).toEqual([
      `zed-${suffix}-1`,
      `zed-${suffix}-2`,
      `zed-${suffix}-3`,
    ]);
    expect(document.submissions).toHaveLength(1);
    expect(document.submissions[0]?.content).toBe(`Answers by ${zed.name} (${zed.email})`);
    expect(document.grades.map((row) => row.feedback)).toEqual([`Well done, ${zed.name}`]);
    expect(document.sessions).toHaveLength(1);
    expect(document.apiTokens).toHaveLength(1);
    expect(document.apiTokens[0]).toMatchObject({ name: "quiz app sync", role: "STUDENT", actsAsThem: true });
    // Audit entries about them: the token's creation names them as the user it acts as.
    expect(document.auditEntries.map((entry) => entry.action)).toEqual(["api_token.create"]);
    const serialized = JSON.stringify(document);
    expect(serialized).not.toMatch(/token_hash|tokenHash|password_hash|passwordHash/);
    expect(serialized).not.toContain(hashSecret(`cbs_${suffix}`));

    // The export itself is audited, with the person as target and nothing personal in details.
    const audit = await api().audit.list({ action: "privacy.export", targetId: zed.id });
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor: { userId: ids.admin }, targetType: "user", details: {} });
  });

  it("erasure leaves no personal field of theirs in any table or cache entry, and aggregates unchanged", async () => {
    // Cache their dashboard (Redis) and read the aggregates first.
    const dashboard = await api().dashboard.student({ studentId: zed.id });
    expect(dashboard.student).toMatchObject({ name: zed.name });
    expect(await redisEntriesHolding(redis, zed.name)).not.toEqual([]);
    expect(await placesHolding(database, zed.email)).not.toEqual([]);
    before = {
      analytics: await api().analytics.course({ courseId: ids.c1, ...range }),
      analyticsC2: await api().analytics.course({ courseId: ids.c2, ...range }),
      summary: await api().analytics.summary({ limit: 100 }),
      enrollments: await queryRows(
        database.db,
        sql`select course_id, status, progress, grade from enrollments where student_id = ${zed.id} order by course_id`,
      ),
      progress: await queryRows(
        database.db,
        sql`select lesson_id, time_spent, score::float8, completed_at from lesson_progress where student_id = ${zed.id} order by lesson_id`,
      ),
    };

    const result = await api().privacy.eraseUser({ userId: zed.id });
    // Deleted from Redis itself as the erasure returns, not merely unreachable.
    expect(await redisEntriesHolding(redis, zed.name)).toEqual([]);
    expect(result).toMatchObject({
      userId: zed.id,
      role: "STUDENT",
      users: 1,
      sessionsDeleted: 1,
      tokensRevoked: 1,
      progressCleared: 3,
      submissionsCleared: 1,
      feedbackCleared: 1,
      credentialsDeleted: 1,
      historyDeleted: 3,
    });
    expect(result.courseIds.sort()).toEqual([ids.c1, ids.c2].sort());

    // Nowhere in the database: every text, varchar and jsonb column of every table.
    expect(await placesHolding(database, zed.email)).toEqual([]);
    expect(await placesHolding(database, zed.name)).toEqual([]);
    expect(await placesHolding(database, zed.phone)).toEqual([]);
    const user = await queryOne<Record<string, unknown>>(
      database.db,
      sql`select email, name, profile_data, preferences, department_id, is_active, last_login_at from users where id = ${zed.id}`,
    );
    expect(user).toEqual({
      email: `${zed.id}@erased.invalid`,
      name: "Erased user",
      profile_data: {},
      preferences: {},
      department_id: null,
      is_active: false,
      last_login_at: null,
    });
    const left = await queryOne<Record<string, number>>(
      database.db,
      sql`select (select count(*)::int from sessions where user_id = ${zed.id}) as sessions,
                 (select count(*)::int from user_credentials where user_id = ${zed.id}) as credentials,
                 (select count(*)::int from progress_history where student_id = ${zed.id}) as history,
                 (select count(*)::int from api_tokens where user_id = ${zed.id} and revoked_at is null) as "liveTokens"`,
    );
    expect(left).toEqual({ sessions: 0, credentials: 0, history: 0, liveTokens: 0 });

    // Nowhere in the cache: their dashboard is recomputed (no stale copy served) ...
    const after = await api().dashboard.student({ studentId: zed.id });
    expect(after.student).toMatchObject({ name: "Erased user" });
    // ... and no entry anywhere in Redis holds their name.
    expect(await redisEntriesHolding(redis, zed.name)).toEqual([]);

    // Aggregates unchanged: analytics of both courses, the materialized summary after a refresh,
    // and the rows they are made of.
    expect(await api().analytics.course({ courseId: ids.c1, ...range })).toEqual(before.analytics);
    expect(await api().analytics.course({ courseId: ids.c2, ...range })).toEqual(before.analyticsC2);
    await refreshCourseSummary(database.db);
    const summaryAfter = (await api().analytics.summary({ limit: 100 })) as { courses: unknown };
    expect(summaryAfter.courses).toEqual((before.summary as { courses: unknown }).courses);
    expect(
      await queryRows(
        database.db,
        sql`select course_id, status, progress, grade from enrollments where student_id = ${zed.id} order by course_id`,
      ),
    ).toEqual(before.enrollments);
    expect(
      await queryRows(
        database.db,
        sql`select lesson_id, time_spent, score::float8, completed_at from lesson_progress where student_id = ${zed.id} order by lesson_id`,
      ),
    ).toEqual(before.progress);

    // They can no longer sign in; the erasure is audited with counts only.
    expect(
      await outcome(
        callerAs(services, null).auth.signIn({ email: zed.email, password: "correct horse battery staple" }),
      ),
    ).toBe("UNAUTHORIZED");
    const audit = await api().audit.list({ action: "privacy.erase" });
    expect(audit.entries.map((entry) => entry.targetId)).toEqual([zed.id]);
    expect(audit.entries[0]?.details).toMatchObject({ users: 1, historyDeleted: 3 });

    // The other institution and the other students are untouched.
    const bea = await queryOne<{ name: string }>(database.db, sql`select name from users where id = ${ids.bea}`);
    expect(bea?.name).toBe("Bea Scholar");
  });

  it("erasing again is harmless; refusals: themselves, another institution's person, non-admins", async () => {
    const again = await api().privacy.eraseUser({ userId: zed.id });
    expect(again).toMatchObject({
      users: 1,
      sessionsDeleted: 0,
      progressCleared: 0,
      historyDeleted: 0,
      credentialsDeleted: 0,
    });
    expect(await outcome(api().privacy.eraseUser({ userId: ids.admin }))).toBe("BAD_REQUEST");
    expect(await outcome(api().privacy.eraseUser({ userId: ids.bea }))).toBe("NOT_FOUND");
    expect(await outcome(api().privacy.exportUser({ userId: ids.bea }))).toBe("NOT_FOUND");
    expect(await outcome(callerAs(services, as.sam).privacy.exportUser({ userId: ids.sam }))).toBe("FORBIDDEN");
    expect(await outcome(callerAs(services, as.ada).privacy.eraseUser({ userId: ids.sam }))).toBe("FORBIDDEN");
    const grace = personPrincipal({ id: ids.grace, institutionId: ids.southbank, role: "ADMIN" });
    expect(await outcome(callerAs(services, grace).privacy.eraseUser({ userId: ids.sam }))).toBe("NOT_FOUND");
    // Sam was never touched by any of these.
    const sam = await queryOne<{ name: string; is_active: boolean }>(
      database.db,
      sql`select name, is_active from users where id = ${ids.sam}`,
    );
    expect(sam).toEqual({ name: "Sam Student", is_active: true });
  });
});
