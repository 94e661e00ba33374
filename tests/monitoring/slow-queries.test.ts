import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Alert,
  type AlertSink,
  type Monitoring,
  type SlowQuery,
  startMonitoring,
} from "@coursebase/server/monitoring/index";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// Thresholds are lowered so that a pg_sleep(0.3) is both slow (>= 200 ms) and alarming
// (>= 250 ms). The bound values are personal data that must appear nowhere: not in the log, the
// alert sinks, the webhook body, nor the ops lists.
const SAM_EMAIL = "sam@northwind.edu";
const SLOW_STATEMENT = "select pg_sleep($1), $2::uuid as student, $3::text as email";
const REDACTED = ["$1: <number>", "$2: <uuid>", "$3: <text 17 chars>"];

interface LogLine {
  level: number;
  msg: string;
  slowQuery?: SlowQuery & { thresholdMs: number };
  alert?: Alert;
  sink?: string;
}

/** A real HTTP endpoint that records what is POSTed to it. */
async function webhookReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      bodies.push(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function eventually<T>(read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe(`slow queries (${testEngine})`, () => {
  let database: TestDatabase;
  let webhook: Awaited<ReturnType<typeof webhookReceiver>>;
  let monitoring: Monitoring;
  const logText: string[] = [];
  const pluggedIn: Alert[] = [];
  const logLines = () => logText.map((line) => JSON.parse(line) as LogLine);

  const sleepWithPersonalData = (seconds: number) =>
    database.db.execute(sql`select pg_sleep(${seconds}), ${ids.sam}::uuid as student, ${SAM_EMAIL}::text as email`);

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    webhook = await webhookReceiver();
    const sink: AlertSink = { name: "test", send: (alert) => void pluggedIn.push(alert) };
    monitoring = startMonitoring({
      config: {
        slowQueryMs: 200,
        slowQueryAlertMs: 250,
        alertWebhookUrl: webhook.url,
        alertWebhookTimeoutMs: 2000,
        alertCooldownMs: 60_000,
      },
      logStream: { write: (line) => void logText.push(line) },
      sinks: [sink],
    });
    await sleepWithPersonalData(0.3);
  });

  afterAll(async () => {
    monitoring?.stop();
    await webhook?.close();
    await database?.destroy();
  });

  it("logs a structured warning with the statement and redacted parameters", () => {
    const warnings = logLines().filter((line) => line.msg === "slow query");
    expect(warnings).toHaveLength(1);
    const [warning] = warnings as [LogLine];
    expect(warning.level).toBe(40);
    expect(warning.slowQuery).toMatchObject({
      statement: SLOW_STATEMENT,
      params: REDACTED,
      thresholdMs: 200,
      severity: "alert",
      operation: "select",
      table: "none",
      database: "primary",
      driver: testEngine,
      ok: true,
    });
    expect(warning.slowQuery?.durationMs).toBeGreaterThanOrEqual(300);
  });

  it("raises one alert to every sink: the log, the list, the plugged-in sink and the webhook", async () => {
    expect(pluggedIn).toHaveLength(1);
    const [alert] = pluggedIn as [Alert];
    expect(alert).toMatchObject({
      kind: "slow_query",
      severity: "critical",
      suppressed: 0,
      message: expect.stringMatching(/^select took \d+ ms \(alert threshold 250 ms\)$/),
      query: { statement: SLOW_STATEMENT, params: REDACTED },
    });
    expect(monitoring.alerts()).toEqual([alert]);
    const logged = logLines().filter((line) => line.alert);
    expect(logged.map((line) => [line.level, line.alert?.id])).toEqual([[50, alert.id]]);

    const body = await eventually(() => webhook.bodies[0]);
    expect(JSON.parse(body)).toMatchObject({ id: alert.id, kind: "slow_query", query: { params: REDACTED } });
  });

  it("lists the slow query and the alert to an administrator through ops.slowQueries and ops.alerts", async () => {
    const api = callerAs(createTestServices(database), as.northwindAdmin);
    const slow = await api.ops.slowQueries({});
    expect(slow.monitoring).toBe(true);
    expect(slow.thresholds).toEqual({ slowQueryMs: 200, slowQueryAlertMs: 250 });
    expect(slow.pagination).toEqual({ page: 1, limit: 20, total: 1, hasMore: false });
    expect(slow.queries).toHaveLength(1);
    expect(slow.queries[0]).toMatchObject({ statement: SLOW_STATEMENT, params: REDACTED, severity: "alert" });
    expect(slow.queries[0]?.durationMs).toBeGreaterThanOrEqual(300);

    const alerts = await api.ops.alerts({});
    expect(alerts).toMatchObject({ monitoring: true, webhook: true, pagination: { total: 1 } });
    expect(alerts.alerts.map((alert) => alert.id)).toEqual([pluggedIn[0]?.id]);
  });

  it("refuses the ops lists to anyone but an administrator", async () => {
    const services = createTestServices(database);
    expect((await rejection(callerAs(services, as.ada).ops.slowQueries({}))).code).toBe("FORBIDDEN");
    expect((await rejection(callerAs(services, as.sam).ops.alerts({}))).code).toBe("FORBIDDEN");
    expect((await rejection(callerAs(services, null).ops.alerts({}))).code).toBe("UNAUTHORIZED");
  });

  it("never lets a bound value out: not in the log, the sinks, the webhook or the ops lists", async () => {
    const api = callerAs(createTestServices(database), as.northwindAdmin);
    const everything = JSON.stringify([
      logText,
      pluggedIn,
      webhook.bodies,
      await api.ops.slowQueries({}),
      await api.ops.alerts({}),
    ]);
    expect(everything).toContain(SLOW_STATEMENT);
    expect(everything).not.toContain(SAM_EMAIL);
    expect(everything).not.toContain(ids.sam);
  });

  it("keeps statements under the threshold out, and holds back a repeat alert during the cooldown", async () => {
    await database.db.execute(sql`select ${SAM_EMAIL}::text`);
    expect(monitoring.slowQueryCount).toBe(1);

    await sleepWithPersonalData(0.3);
    // Kept and logged again, but the same statement alerts once per cooldown.
    expect(monitoring.slowQueryCount).toBe(2);
    expect(logLines().filter((line) => line.msg === "slow query")).toHaveLength(2);
    expect(pluggedIn).toHaveLength(1);

    // Another statement is another alert.
    await database.db.execute(sql`select pg_sleep(${0.3}), ${"another"}::text`);
    expect(pluggedIn).toHaveLength(2);
    expect(pluggedIn[1]?.query.params).toEqual(["$1: <number>", "$2: <text 7 chars>"]);
    expect(monitoring.slowQueries(0, 1)[0]?.statement).toBe("select pg_sleep($1), $2::text");
  });

  it("never fails the query when the webhook is unreachable: the failure is a log line", async () => {
    // A port that was just free: connection refused.
    const closed = await webhookReceiver();
    await closed.close();
    const lines: string[] = [];
    const unreachable = startMonitoring({
      config: { slowQueryMs: 200, slowQueryAlertMs: 250, alertWebhookUrl: closed.url, alertCooldownMs: 0 },
      logStream: { write: (line) => void lines.push(line) },
    });
    try {
      const result = await database.db.execute(sql`select pg_sleep(${0.3}), ${"unreachable"}::text as label`);
      const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
      expect(rows).toHaveLength(1);
      const failure = await eventually(() =>
        lines
          .map((line) => JSON.parse(line) as LogLine & { error?: string })
          .find((line) => line.msg === "alert sink failed"),
      );
      expect(failure).toMatchObject({ level: 40, sink: "webhook" });
      // The URL (which may hold a secret) is not logged.
      expect(lines.join("\n")).not.toContain(closed.url);
    } finally {
      unreachable.stop();
    }
  });

  it.runIf(testEngine === "postgres")(
    "records a statement cancelled by statement_timeout as a failed slow query",
    async () => {
      const cancelled = database.db.transaction(async (tx) => {
        await tx.execute(sql`set local statement_timeout = 300`);
        await tx.execute(sql`select pg_sleep(${2})`);
      });
      await expect(cancelled).rejects.toThrow();
      const [entry] = monitoring.slowQueries(0, 1);
      expect(entry).toMatchObject({
        statement: "select pg_sleep($1)",
        ok: false,
        errorCode: "57014",
        inTransaction: true,
      });
      expect(entry?.durationMs).toBeGreaterThanOrEqual(300);
    },
  );
});
