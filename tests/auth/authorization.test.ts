import { schema } from "@coursebase/db";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { appRouter } from "@coursebase/server";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

type Caller = ReturnType<typeof callerAs>;

/** The outcome of a call: "OK" or the tRPC error code. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

const range = { start: "2026-11-01", end: "2026-11-30" };

// Who may call what, across the two institutions of the fixture: every cross-tenant or
// cross-student attempt is refused (FORBIDDEN or NOT_FOUND) and returns no data.
describe("roles and scope on every procedure", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;
  const caller = (principal: Parameters<typeof callerAs>[1]): Caller => callerAs(services, principal);

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    // analytics.summary reads a materialized view: bring it up to date with the fixture.
    await refreshCourseSummary(database.db);
    services = createTestServices(database);
  });
  afterAll(() => database.destroy());

  it("without credentials only sign-in is open", async () => {
    const anonymous = caller(null);
    const results = {
      me: await outcome(anonymous.auth.me()),
      signOut: await outcome(anonymous.auth.signOut()),
      dashboard: await outcome(anonymous.dashboard.student({ studentId: ids.sam })),
      search: await outcome(anonymous.search.courses({})),
      analytics: await outcome(anonymous.analytics.course({ courseId: ids.c1, ...range })),
      summary: await outcome(anonymous.analytics.summary({})),
      progress: await outcome(
        anonymous.progress.record({
          updates: [{ eventId: "anon", studentId: ids.sam, lessonId: ids.l3, courseId: ids.c1, timeSpent: 1 }],
        }),
      ),
    };
    expect(results).toEqual({
      me: "UNAUTHORIZED",
      signOut: "UNAUTHORIZED",
      dashboard: "UNAUTHORIZED",
      search: "UNAUTHORIZED",
      analytics: "UNAUTHORIZED",
      summary: "UNAUTHORIZED",
      progress: "UNAUTHORIZED",
    });
  });

  it("every procedure of the router, including ones added later, refuses anonymous callers, but sign-in", async () => {
    // Read from the router at run time. Credentials are checked before the input is parsed, so a
    // malformed input reaches no handler either way.
    const procedures = Object.keys(appRouter._def.procedures as unknown as Record<string, unknown>).sort();
    const anonymous = caller(null) as unknown as Record<string, unknown>;
    const open: string[] = [];
    for (const path of procedures) {
      const call = path
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], anonymous) as (
        input: unknown,
      ) => Promise<unknown>;
      if ((await outcome(call({ probe: true }))) !== "UNAUTHORIZED") open.push(path);
    }
    expect(open).toEqual(["auth.signIn"]);
    expect(procedures.length).toBeGreaterThan(10);
  });

  it("a student sees their own dashboard only, and no analytics", async () => {
    const sam = caller(as.sam);
    expect(await outcome(sam.dashboard.student({ studentId: ids.sam }))).toBe("OK");
    expect(await outcome(sam.dashboard.student({ studentId: ids.alex }))).toBe("FORBIDDEN");
    expect(await outcome(sam.dashboard.student({ studentId: ids.bea }))).toBe("FORBIDDEN");
    expect(await outcome(sam.analytics.course({ courseId: ids.c1, ...range }))).toBe("FORBIDDEN");
    expect(await outcome(sam.analytics.summary({}))).toBe("FORBIDDEN");
  });

  it("search lists the caller's institution only, and refuses to look into another", async () => {
    const samResults = await caller(as.sam).search.courses({ query: "calc" });
    expect(samResults.courses.map((course) => course.id)).toEqual([ids.c1]);
    const beaResults = await caller(as.bea).search.courses({ query: "calc" });
    expect(beaResults.courses.map((course) => course.id)).toEqual([ids.c5]);
    expect(await outcome(caller(as.sam).search.courses({ institutionId: ids.southbank }))).toBe("FORBIDDEN");
  });

  it("administrators see their institution, nothing of another", async () => {
    const admin = caller(as.northwindAdmin);
    expect(await outcome(admin.dashboard.student({ studentId: ids.alex }))).toBe("OK");
    expect(await outcome(admin.dashboard.student({ studentId: ids.bea }))).toBe("NOT_FOUND");
    expect(await outcome(admin.analytics.course({ courseId: ids.c1, ...range }))).toBe("OK");
    expect(await outcome(admin.analytics.course({ courseId: ids.c5, ...range }))).toBe("NOT_FOUND");
    const summary = await admin.analytics.summary({ limit: 100 });
    expect(summary.courses.map((course) => course.courseId).sort()).toEqual([ids.c1, ids.c2, ids.c4].sort());
    const southbankSummary = await caller(as.southbankToken).analytics.summary({});
    expect(southbankSummary.courses.map((course) => course.courseId)).toEqual([ids.c5]);
  });

  it("instructors and TAs see analytics of the courses they teach only", async () => {
    const ada = caller(as.ada);
    expect(await outcome(ada.analytics.course({ courseId: ids.c1, ...range }))).toBe("OK");
    expect(await outcome(ada.analytics.course({ courseId: ids.c5, ...range }))).toBe("NOT_FOUND");
    expect(await outcome(ada.dashboard.student({ studentId: ids.sam }))).toBe("FORBIDDEN");
    expect(await outcome(caller(as.grace).analytics.course({ courseId: ids.c1, ...range }))).toBe("NOT_FOUND");

    // Tom assists no course yet: nothing to see. Made staff of C2, he sees C2 and only C2.
    const tom = caller(as.tom);
    expect(await outcome(tom.analytics.course({ courseId: ids.c2, ...range }))).toBe("NOT_FOUND");
    expect((await tom.analytics.summary({})).courses).toEqual([]);
    await database.db
      .insert(schema.courseStaff)
      .values({ courseId: ids.c2, userId: ids.tom, institutionId: ids.northwind });
    expect(await outcome(tom.analytics.course({ courseId: ids.c2, ...range }))).toBe("OK");
    expect(await outcome(tom.analytics.course({ courseId: ids.c1, ...range }))).toBe("NOT_FOUND");
    expect((await tom.analytics.summary({})).courses.map((course) => course.courseId)).toEqual([ids.c2]);
  });

  it("audit, tokens, retention and privacy: administrators of the institution only", async () => {
    // Every caller but an administrator is refused before anything is read or written.
    const trust = (who: Caller) => ({
      auditList: outcome(who.audit.list({})),
      tokensList: outcome(who.tokens.list({})),
      tokensCreate: outcome(who.tokens.create({ name: "matrix", role: "ADMIN" })),
      tokensRevoke: outcome(who.tokens.revoke({ tokenId: ids.unknown })),
      retentionGet: outcome(who.retention.get()),
      retentionUpdate: outcome(who.retention.update({ progressHistoryMonths: 12, inactiveAccountYears: 4 })),
      exportUser: outcome(who.privacy.exportUser({ userId: ids.alex })),
      eraseUser: outcome(who.privacy.eraseUser({ userId: ids.alex })),
    });
    const settle = async (calls: ReturnType<typeof trust>) =>
      Object.fromEntries(await Promise.all(Object.entries(calls).map(async ([name, call]) => [name, await call])));
    const refusedAll = (code: string) => ({
      auditList: code,
      tokensList: code,
      tokensCreate: code,
      tokensRevoke: code,
      retentionGet: code,
      retentionUpdate: code,
      exportUser: code,
      eraseUser: code,
    });
    expect(await settle(trust(caller(null)))).toEqual(refusedAll("UNAUTHORIZED"));
    for (const who of [as.ada, as.tom, as.sam, as.alex, as.noel, as.grace, as.bea]) {
      expect(await settle(trust(caller(who)))).toEqual(refusedAll("FORBIDDEN"));
    }
    // Southbank's administrator token: its own institution works, Northwind's people and tokens do not exist for it.
    const southbank = caller(as.southbankToken);
    const northwindToken = await caller(as.northwindAdmin).tokens.create({ name: "matrix", role: "ADMIN" });
    expect(await outcome(southbank.privacy.exportUser({ userId: ids.alex }))).toBe("NOT_FOUND");
    expect(await outcome(southbank.privacy.eraseUser({ userId: ids.alex }))).toBe("NOT_FOUND");
    expect(await outcome(southbank.tokens.revoke({ tokenId: northwindToken.record.id }))).toBe("NOT_FOUND");
    expect(await outcome(southbank.tokens.create({ name: "x", role: "STUDENT", userId: ids.sam }))).toBe("NOT_FOUND");
    expect((await southbank.tokens.list({})).tokens).toEqual([]);
    expect((await southbank.audit.list({})).entries.map((entry) => entry.targetId)).not.toContain(
      northwindToken.record.id,
    );
    expect((await southbank.privacy.exportUser({ userId: ids.bea })).user).toMatchObject({ id: ids.bea });
    expect(await outcome(southbank.retention.get())).toBe("OK");
    // Northwind's administrator: its own institution, and nothing of Southbank.
    const admin = caller(as.northwindAdmin);
    expect((await admin.privacy.exportUser({ userId: ids.alex })).user).toMatchObject({ id: ids.alex });
    expect(await outcome(admin.privacy.exportUser({ userId: ids.bea }))).toBe("NOT_FOUND");
    expect((await admin.audit.list({})).entries.map((entry) => entry.action)).toContain("privacy.export");
  });

  it("a student records only their own progress; an integration token anyone's in its institution", async () => {
    const own = { eventId: "authz-own", studentId: ids.sam, lessonId: ids.l3, courseId: ids.c1, timeSpent: 10 };
    const other = { eventId: "authz-other", studentId: ids.alex, lessonId: ids.l1, courseId: ids.c1, timeSpent: 10 };
    expect(await outcome(caller(as.sam).progress.record({ updates: [own] }))).toBe("OK");
    expect(await outcome(caller(as.sam).progress.record({ updates: [other] }))).toBe("FORBIDDEN");
    expect(await outcome(caller(as.ada).progress.record({ updates: [own] }))).toBe("FORBIDDEN");
    expect(await outcome(caller(as.northwindToken).progress.record({ updates: [other] }))).toBe("OK");
    // Southbank's token cannot write Northwind's students: they do not exist for it.
    const foreign = { ...other, eventId: "authz-foreign" };
    expect(await outcome(caller(as.southbankToken).progress.record({ updates: [foreign] }))).toBe("BAD_REQUEST");
  });
});
