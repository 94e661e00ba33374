import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { schema } from "@coursebase/db";
import { setPassword } from "@coursebase/db/queries/auth";
import { hashPassword } from "@coursebase/server/auth/passwords";
import { mintApiToken } from "@coursebase/server/auth/tokens";
import { safeError } from "@coursebase/server/http/logging";
import { createHttpServer } from "@coursebase/server/http/server";
import { createShutdown } from "@coursebase/server/http/shutdown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { createTestServices } from "../support/services.ts";

type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;

const root = fileURLToPath(new URL("../..", import.meta.url));
const MiB = 1024 * 1024;

// A stand-in for packages/admin/dist, so that what / serves is known here and does not depend
// on whether `pnpm build` ran (the real build is checked by `pnpm build` in CI).
const INDEX_HTML = "<!doctype html><title>Coursebase admin</title><div id=root></div>";
const APP_JS = "console.log('admin');";
function makeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), "coursebase-dist-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), INDEX_HTML);
  writeFileSync(join(dir, "assets", "index-abc123.js"), APP_JS);
  return dir;
}

async function listen(app: HttpServer): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("server has no TCP address");
  return `http://127.0.0.1:${address.port}`;
}

// One database for the whole file (a PGlite instance costs seconds); the last test closes it.
let database: TestDatabase;
let databaseClosed = false;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  // On PGlite destroying is closing, already done by the last test.
  if (!(databaseClosed && database?.driver === "pglite")) await database?.destroy();
});

describe("HTTP server", () => {
  let app: HttpServer;
  let base: string;
  let dist: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    dist = makeDist();
    app = await createHttpServer(createTestServices(database), {
      adminDist: dist,
      logLevel: "info",
      logStream: { write: (line) => logLines.push(line) },
    });
    base = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it("answers /healthz (liveness) with 200 and status ok", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz with 200 while the database answers", async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", database: testEngine });
  });

  it("serves the admin SPA's index.html at /, revalidated on every load", async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toBe(INDEX_HTML);
  });

  it("serves index.html for client routes, hashed assets cached for good, and 404 for missing files", async () => {
    const route = await fetch(`${base}/courses/42?tab=lessons`);
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(INDEX_HTML);

    const asset = await fetch(`${base}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await asset.text()).toBe(APP_JS);

    const missing = await fetch(`${base}/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
  });

  it("answers an unknown procedure under /trpc with a tRPC NOT_FOUND error, not the SPA", async () => {
    const response = await fetch(`${base}/trpc/no.such.procedure`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { json: { data: { code: string; path: string } } } };
    expect(body.error.json.data).toMatchObject({ code: "NOT_FOUND", path: "no.such.procedure" });

    // Paths tRPC does not route at all are API 404s too, never index.html.
    const nested = await fetch(`${base}/trpc/a/b`);
    expect(nested.status).toBe(404);
    expect(nested.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("refuses a request body over 1 MiB with 413 and accepts one just under it", async () => {
    const body = (size: number) => JSON.stringify({ json: "x".repeat(size - 11) }); // 11 = {"json":""}
    expect(body(1000)).toHaveLength(1000);

    const over = await fetch(`${base}/trpc/no.such.procedure`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(MiB + 1),
    });
    expect(over.status).toBe(413);

    // Under the limit the body reaches tRPC, which then finds no such procedure.
    const under = await fetch(`${base}/trpc/no.such.procedure`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(MiB - 1),
    });
    expect(under.status).toBe(404);
  });

  it("logs one line per request with its path, never its query string or body", async () => {
    const secret = "private.person@example.com";
    const input = encodeURIComponent(JSON.stringify({ json: { email: secret } }));
    await fetch(`${base}/trpc/no.such.procedure?input=${input}`);
    await fetch(`${base}/trpc/no.such.procedure`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { email: secret } }),
    });
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.msg === "request" && line.path === "/trpc/no.such.procedure");
    expect(requests.map((line) => [line.method, line.statusCode])).toContainEqual(["GET", 404]);
    expect(requests.map((line) => [line.method, line.statusCode])).toContainEqual(["POST", 404]);
    const everything = logLines.join("\n");
    expect(everything).not.toContain("private.person");
    expect(everything).not.toContain("input=");
    // No client address either (fastify's default request serializer logs it).
    expect(lines.some((line) => "remoteAddress" in line || JSON.stringify(line.req ?? {}).includes("remote"))).toBe(
      false,
    );
  });

  it("logs a failed query's SQL but never the values bound to it, nor the input PostgreSQL quotes", async () => {
    const secret = "private.person@example.com";
    // Not a uuid: PostgreSQL refuses it (22P02) and quotes it in its message.
    const failure = await database.db
      .insert(schema.users)
      .values({ institutionId: secret, email: secret, name: "Private Person", role: "STUDENT" })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    // What a naive logger would write: Drizzle's message lists the bound values.
    expect((failure as Error).message).toContain(secret);
    const logged = JSON.stringify(safeError(failure));
    expect(logged).not.toContain("private.person");
    expect(logged).not.toContain("Private Person");
    expect(logged).toContain('insert into \\"users\\"'); // the SQL text, with $n placeholders
    expect(logged).toContain('"code":"22P02"');
  });
});

describe("credentials over HTTP", () => {
  let app: HttpServer;
  let base: string;
  const logLines: string[] = [];
  const password = "correct horse battery staple";
  const trpcData = async (response: Response) =>
    ((await response.json()) as { result: { data: { json: unknown } } }).result.data.json;
  const errorCode = async (response: Response) =>
    ((await response.json()) as { error: { json: { data: { code: string } } } }).error.json.data.code;

  beforeAll(async () => {
    await loadFixture(database.db);
    await setPassword(database.db, ids.admin, await hashPassword(password));
    app = await createHttpServer(createTestServices(database), {
      adminDist: join(tmpdir(), "none"),
      logLevel: "info",
      logStream: { write: (line) => logLines.push(line) },
    });
    base = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("signs in with a session cookie that the next requests carry, and signs out", async () => {
    const signIn = await fetch(`${base}/trpc/auth.signIn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { email: "admin@northwind.edu", password } }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get("set-cookie") ?? "";
    // httpOnly and SameSite=Strict; not Secure over plain http.
    // The session first, then its attributes in whatever order @fastify/cookie writes them.
    const [session = "", ...attributes] = cookie.split("; ");
    expect(session).toMatch(/^cb_session=cbs_[\w-]+$/);
    expect(attributes.map((attribute) => attribute.replace(/^Max-Age=\d+$/, "Max-Age=<n>")).sort()).toEqual([
      "HttpOnly",
      "Max-Age=<n>",
      "Path=/",
      "SameSite=Strict",
    ]);

    const me = await fetch(`${base}/trpc/auth.me`, { headers: { cookie: `theme=dark; ${session}` } });
    expect(me.status).toBe(200);
    expect(await trpcData(me)).toMatchObject({ user: { email: "admin@northwind.edu", role: "ADMIN" } });

    const signOut = await fetch(`${base}/trpc/auth.signOut`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: session },
      body: "{}",
    });
    expect(signOut.status).toBe(200);
    expect(signOut.headers.get("set-cookie")).toMatch(/^cb_session=; /);
    expect(signOut.headers.get("set-cookie")).toMatch(/; Max-Age=0(;|$)/);

    // The session is revoked server-side: the old cookie no longer works.
    const after = await fetch(`${base}/trpc/auth.me`, { headers: { cookie: session } });
    expect(after.status).toBe(401);
  });

  it("accepts an API token as a bearer credential and refuses a request without one", async () => {
    const { token } = await mintApiToken(database.db, {
      institutionId: ids.northwind,
      name: "http test",
      role: "ADMIN",
    });
    const me = await fetch(`${base}/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await trpcData(me)).toMatchObject({ user: null, institution: { domain: "northwind.edu" } });

    const anonymous = await fetch(`${base}/trpc/auth.me`);
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe("UNAUTHORIZED");

    const forged = await fetch(`${base}/trpc/auth.me`, { headers: { authorization: "Bearer cbt_not-a-real-token" } });
    expect(forged.status).toBe(401);
  });

  it("answers a procedure that fails with a generic 500 and logs the fault without the caller's input", async () => {
    const { token } = await mintApiToken(database.db, { institutionId: ids.northwind, name: "fault", role: "ADMIN" });
    const input = encodeURIComponent(JSON.stringify({ json: { query: "private.person", page: 1, limit: 5 } }));
    // A fault the API cannot foresee: the table its query reads is gone.
    await database.db.execute("alter table courses rename to courses_moved");
    let response: Response;
    try {
      response = await fetch(`${base}/trpc/search.courses?input=${input}`, {
        headers: { authorization: `Bearer ${token}` },
      });
    } finally {
      await database.db.execute("alter table courses_moved rename to courses");
    }
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { json: { message: string; data: { code: string } } } };
    expect(body.error.json.data.code).toBe("INTERNAL_SERVER_ERROR");
    expect(body.error.json.message).toBe("Internal server error");

    const failures = logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === "procedure failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, procedure: "search.courses" });
    expect(JSON.stringify(failures[0])).toContain("42P01"); // undefined_table: the cause is there
    expect(logLines.join("\n")).not.toContain("private.person");
  });
});

describe("HTTP server without a built admin app", () => {
  let app: HttpServer;

  beforeAll(async () => {
    app = await createHttpServer(createTestServices(database), {
      adminDist: join(tmpdir(), "coursebase-no-such-dist"),
      logLevel: "silent",
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("says at / how to build it, and the API still works", async () => {
    const page = await app.inject({ method: "GET", url: "/" });
    expect(page.statusCode).toBe(503);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("the admin app is not built");
    expect(page.body).toContain("pnpm build");
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });
});

describe("graceful shutdown", () => {
  it("stops accepting connections, finishes the request in flight, then closes the services", async () => {
    const app = await createHttpServer(createTestServices(database), {
      adminDist: join(tmpdir(), "none"),
      logLevel: "silent",
    });
    let entered: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.get("/test/slow", async () => {
      entered();
      await released;
      return { finished: true };
    });
    const events: string[] = [];
    app.addHook("onResponse", async (request) => {
      if (request.url === "/test/slow") events.push("response sent");
    });
    const base = await listen(app);
    const shutdown = createShutdown(app, { close: async () => void events.push("services closed") });

    const slow = fetch(`${base}/test/slow`).then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
    await inFlight;
    const stopped = shutdown("test");
    expect(shutdown("again")).toBe(stopped); // idempotent

    // No new connections while the slow request is still running...
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(events).toEqual([]);

    // ...and the one in flight gets its answer before the services close.
    release();
    expect(await slow).toEqual({ status: 200, body: { finished: true } });
    await stopped;
    expect(events).toEqual(["response sent", "services closed"]);
  });
});

describe("the process entry (packages/server/src/main.ts)", () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill("SIGKILL");
  });

  it("prints where to open it, serves, and exits 0 after SIGTERM", async () => {
    // PostgreSQL: the test database; PGlite: a throw-away in-memory one in the child.
    const env = {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      DATABASE_URL: database.url ?? "",
      READ_DATABASE_URL: "",
      PGLITE_DIR: "memory://",
      METRICS_TOKEN: "",
    };
    const proc = spawn(process.execPath, ["--import", "tsx", "packages/server/src/main.ts"], { cwd: root, env });
    child = proc;
    let output = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));

    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed within 90 s:\n${output}`)), 90_000);
      const check = () => {
        const match = /Coursebase is ready: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      proc.stdout.on("data", check);
      proc.on("exit", () => reject(new Error(`exited before serving:\n${output}`)));
    });

    const health = await fetch(`${url}healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`${url}readyz`)).status).toBe(200);
    const metrics = await fetch(`${url}metrics`); // the entry wires monitoring in
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# (HELP|TYPE) /m);

    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    child = undefined;
    expect(output).toContain('"msg":"stopped"');
  }, 150_000);
});

// Last: it closes the file's database.
describe("when the database goes away", () => {
  let app: HttpServer;
  let base: string;

  beforeAll(async () => {
    app = await createHttpServer(createTestServices(database), {
      adminDist: join(tmpdir(), "none"),
      logLevel: "silent",
    });
    base = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("answers /readyz with 503 and the reason once the database is gone, while /healthz stays 200", async () => {
    await database.close();
    databaseClosed = true;
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; reason: string };
    expect(body.status).toBe("unavailable");
    expect(body.reason).toMatch(/^database/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
