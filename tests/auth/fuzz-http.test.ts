import { tmpdir } from "node:os";
import { mintApiToken } from "@coursebase/server/auth/tokens";
import { createHttpServer } from "@coursebase/server/http/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { createTestServices } from "../support/services.ts";

type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;

/** What a 4xx body must never carry: stack traces, SQL, driver names, source paths. */
const LEAK =
  /\n\s+at\s|"stack"|\bselect\b.*\bfrom\b|syntax error|violates|PostgresError|Failed query|node_modules|\.ts:\d+/i;

// Hostile bytes at the HTTP layer, below tRPC's input parsing: malformed JSON, absurd nesting,
// wrong content types, bodies past the limit. Each gets a 4xx with a clean JSON error; the
// process keeps serving.
describe("hostile requests over HTTP", () => {
  let database: TestDatabase;
  let app: HttpServer;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    app = await createHttpServer(createTestServices(database), { adminDist: tmpdir(), logLevel: "silent" });
    adminToken = (await mintApiToken(database.db, { institutionId: ids.northwind, name: "fuzz-http", role: "ADMIN" }))
      .token;
  });
  afterAll(async () => {
    await app?.close();
    await database.destroy();
  });

  const post = (path: string, payload: string | Buffer, contentType = "application/json") =>
    app.inject({
      method: "POST",
      url: `/trpc/${path}`,
      headers: { "content-type": contentType, authorization: `Bearer ${adminToken}` },
      payload,
    });

  function expectCleanRefusal(response: Awaited<ReturnType<typeof post>>) {
    expect(response.statusCode, response.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(response.statusCode, response.body.slice(0, 300)).toBeLessThan(500);
    expect(response.body).not.toMatch(LEAK);
  }

  it("malformed JSON, wrong content types and random bytes get a clean 4xx", async () => {
    const bodies: Array<[string, string | Buffer, string?]> = [
      ["tokens.create", "{not json"],
      ["tokens.create", '{"json": {"name": "x", "role": "ADMIN"'],
      ["tokens.create", "null"],
      ["tokens.create", '"just a string"'],
      ["tokens.create", '{"json": {"name": "x", "role": "ADMIN"}, "meta": {"values": {"name": ["bigint"]}}}'],
      ["privacy.eraseUser", '{"json": {"userId": {"$ne": null}}}'],
      ["retention.update", '{"json": {"progressHistoryMonths": 1e999, "inactiveAccountYears": 1}}'],
      ["retention.update", '{"json": {"__proto__": {"isAdmin": true}, "progressHistoryMonths": 6}}'],
      ["tokens.revoke", Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b]), "application/octet-stream"],
      ["tokens.revoke", "tokenId=1", "application/x-www-form-urlencoded"],
      ["tokens.revoke", "<xml/>", "text/xml"],
    ];
    for (const [path, body, contentType] of bodies) expectCleanRefusal(await post(path, body, contentType));
  });

  it("absurdly nested JSON is refused without taking the process down", async () => {
    for (const depth of [1_000, 100_000]) {
      const body = `{"json": ${"[".repeat(depth)}${"]".repeat(depth)}}`;
      expectCleanRefusal(await post("tokens.create", body));
    }
    const health = await app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
  });

  it("bodies past the limit get 413 before any parsing", async () => {
    const response = await post("progress.record", `{"json": "${"x".repeat(1024 * 1024 + 10)}"}`);
    expect(response.statusCode).toBe(413);
  });

  it("random bodies and query strings, fixed seed: never a 5xx, never a leak", async () => {
    const paths = [
      "tokens.create",
      "audit.list",
      "privacy.exportUser",
      "retention.update",
      "progress.record",
      "search.courses",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.json({ maxDepth: 4 }),
          fc.string({ unit: "binary", maxLength: 200 }),
        ),
        fc.boolean(),
        async (path, text, asQuery) => {
          const response = asQuery
            ? await app.inject({
                method: "GET",
                url: `/trpc/${path}?input=${encodeURIComponent(text)}`,
                headers: { authorization: `Bearer ${adminToken}` },
              })
            : await post(path, text);
          // Random text can happen to be an acceptable input (`{}` for a search): only 5xx and leaks are failures.
          expect(response.statusCode).toBeLessThan(500);
          expect(response.body).not.toMatch(LEAK);
        },
      ),
      { seed: 20261126, numRuns: testEngine === "pglite" ? 50 : 100 },
    );
  });
});
