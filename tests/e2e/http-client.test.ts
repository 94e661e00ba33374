import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { setPassword } from "@coursebase/db/queries/auth";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { hashPassword } from "@coursebase/server/auth/passwords";
import { mintApiToken } from "@coursebase/server/auth/tokens";
import { createClient } from "@coursebase/server/client";
import { createHttpServer } from "@coursebase/server/http/index";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { createTestServices } from "../support/services.ts";

const run = promisify(execFile);
const day = (date: Date) => date.toISOString().slice(0, 10);

/** Every API procedure over real HTTP, through the typed client the way other programs use it. */
describe("the API over HTTP through the typed client", () => {
  let database: TestDatabase;
  let app: Awaited<ReturnType<typeof createHttpServer>>;
  let url: string;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    // analytics.summary reads a materialized view: bring it up to date with the fixture.
    await refreshCourseSummary(database.db);
    await setPassword(database.db, ids.sam, await hashPassword("sam's long passphrase"));
    adminToken = (await mintApiToken(database.db, { institutionId: ids.northwind, role: "ADMIN", name: "e2e" })).token;
    app = await createHttpServer(createTestServices(database));
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
  });

  it("answers every procedure for an API token, with Dates intact", async () => {
    const client = createClient({ url, token: adminToken });

    const me = await client.auth.me.query();
    expect(me.institution.domain).toBe("northwind.edu");

    const dashboard = await client.dashboard.student.query({ studentId: ids.sam });
    expect(dashboard.enrollments.map((enrollment) => enrollment.courseId)).toEqual([ids.c2, ids.c1]);
    expect(dashboard.recentProgress[0]?.completedAt).toBeInstanceOf(Date);

    const search = await client.search.courses.query({ query: "calc", page: 1, limit: 10 });
    expect(search.courses.map((course) => course.id)).toEqual([ids.c1]); // Southbank's is not ours
    expect(search.pagination).toEqual({ page: 1, limit: 10, total: 1, hasMore: false });

    const today = new Date();
    const analytics = await client.analytics.course.query({
      courseId: ids.c1,
      start: day(new Date(today.getTime() - 29 * 86_400_000)),
      end: day(today),
    });
    expect(analytics.series).toHaveLength(30);

    const summary = await client.analytics.summary.query({ page: 1, limit: 10 });
    expect(summary.courses.map((course) => course.courseId)).toContain(ids.c1);

    const recorded = await client.progress.record.mutate({
      updates: [
        {
          eventId: "e2e-1",
          studentId: ids.sam,
          lessonId: ids.l3,
          courseId: ids.c1,
          timeSpent: 60,
          completedAt: new Date(),
        },
      ],
    });
    expect(recorded).toMatchObject({ applied: 1, duplicates: 0 });
    const after = await client.dashboard.student.query({ studentId: ids.sam });
    expect(after.enrollments.find((enrollment) => enrollment.courseId === ids.c1)?.progress).toBe(75);
  });

  it("batches calls of one tick into one request by default, and sends each alone with batch: false", async () => {
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const callThree = (client: ReturnType<typeof createClient>) =>
      Promise.all([
        client.auth.me.query(),
        client.dashboard.student.query({ studentId: ids.sam }),
        client.search.courses.query({ query: "calc" }),
      ]);

    const [me, dashboard, search] = await callThree(createClient({ url, token: adminToken, fetch: counting }));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain("batch=1");

    requests.length = 0;
    const alone = await callThree(createClient({ url, token: adminToken, fetch: counting, batch: false }));
    expect(requests).toHaveLength(3);
    expect(requests.some((request) => request.includes("batch=1"))).toBe(false);
    expect(alone).toEqual([me, dashboard, search]);
  });

  it("names the field and the reason of bad input, and refuses the unauthenticated", async () => {
    const client = createClient({ url, token: adminToken });
    const error = await client.dashboard.student.query({ studentId: "not-a-uuid" }).catch((caught) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error.data.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^studentId: /);

    const anonymous = createClient({ url });
    const refused = await anonymous.search.courses.query({}).catch((caught) => caught);
    expect(refused.data.code).toBe("UNAUTHORIZED");
  });

  it("signs a person in with a cookie session, then serves them with it", async () => {
    let cookie = "";
    const cookieFetch: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      if (cookie) headers.set("cookie", cookie);
      const response = await fetch(input, { ...init, headers });
      const set = response.headers.get("set-cookie");
      if (set) cookie = set.split(";")[0] ?? "";
      return response;
    };
    const browser = createClient({ url, fetch: cookieFetch });
    const me = await browser.auth.signIn.mutate({ email: "sam@northwind.edu", password: "sam's long passphrase" });
    expect(me.user?.id).toBe(ids.sam);
    expect(cookie).toMatch(/^cb_session=cbs_/);
    expect((await browser.dashboard.student.query({ studentId: ids.sam })).student.id).toBe(ids.sam);
    const forbidden = await browser.dashboard.student.query({ studentId: ids.alex }).catch((caught) => caught);
    expect(forbidden.data.code).toBe("FORBIDDEN");
    await browser.auth.signOut.mutate();
    const afterSignOut = await createClient({
      url,
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set("cookie", `cb_session=${"x"}`);
        return fetch(input, { ...init, headers });
      },
    })
      .auth.me.query()
      .catch((caught) => caught);
    expect(afterSignOut.data.code).toBe("UNAUTHORIZED");
  });

  it("the cb CLI prints a procedure's JSON and fails with one line", async () => {
    const env = { ...process.env, COURSEBASE_URL: url, COURSEBASE_TOKEN: adminToken };
    const cli = ["exec", "tsx", "packages/server/src/cli/cb.ts"];
    const ok = await run("pnpm", [...cli, "search.courses", JSON.stringify({ query: "derivatives" })], { env });
    expect(JSON.parse(ok.stdout).courses.map((course: { id: string }) => course.id)).toEqual([ids.c1]);

    const failed = await run("pnpm", [...cli, "dashboard.student", '{"studentId":"nope"}'], { env }).catch(
      (caught) => caught,
    );
    expect(failed.code).not.toBe(0);
    expect(
      failed.stderr
        .trim()
        .split("\n")
        .filter((line: string) => line.startsWith("error:")),
    ).toEqual([expect.stringMatching(/^error: BAD_REQUEST: studentId: /)]);
  });
});
