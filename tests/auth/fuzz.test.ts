import { queryOne, queryRows } from "@coursebase/db";
import type { Principal } from "@coursebase/db/queries/auth";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { appRouter } from "@coursebase/server";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";
import { inputJsonSchema, malformedInput } from "./fuzz-inputs.ts";

/**
 * Hostile input against EVERY procedure of appRouter (read from the router at run time, so
 * procedures added later are covered without touching this file), as an administrator and as a
 * student: thousands of generated malformed inputs (fuzz-inputs.ts), a fixed seed and a bounded
 * count. Each call must end in a 4xx-class tRPC error (never INTERNAL_SERVER_ERROR) whose message
 * leaks no SQL, stack trace or other tenant's id; and afterwards the database must be exactly as
 * before (a fingerprint of every table). FUZZ_SEED / FUZZ_RUNS override the seed and the budget.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** Calls in all, spread evenly over procedures and the two callers (PGlite is slower). */
const BUDGET = Number(process.env.FUZZ_RUNS ?? (testEngine === "pglite" ? 1_200 : 2_500));

interface Procedure {
  path: string;
  type: "query" | "mutation" | "subscription";
  /** Its input parser, if it takes input (procedures without one ignore what they are sent). */
  parser: unknown;
}

// At run time tRPC keeps a flat map of dotted paths to procedures.
const procedures: Procedure[] = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: Procedure["type"]; inputs: unknown[] } }>,
)
  .map(([path, procedure]) => ({ path, type: procedure._def.type, parser: procedure._def.inputs[0] }))
  .sort((a, b) => a.path.localeCompare(b.path));

const callers: Array<[string, Principal]> = [
  ["ADMIN", as.northwindAdmin],
  ["STUDENT", as.sam],
];
const runsPerCase = Math.max(8, Math.ceil(BUDGET / (procedures.length * callers.length)));

/** What must never reach a caller: SQL, driver errors, stack frames, source paths, other tenants. */
const LEAKS: Array<[string, RegExp]> = [
  ["SQL", /\b(select|insert into|update|delete from)\b[\s\S]*\b(from|where|set|values)\b/i],
  [
    "SQL error",
    /syntax error|violates|duplicate key|relation "|column "|constraint "|Failed query|PostgresError|drizzle/i,
  ],
  ["stack frame", /\n\s+at\s|\bat\s+\S+\s+\(.*:\d+:\d+\)/],
  ["source path", /\.(ts|js|mjs|cjs):\d+|node_modules|\/work\//],
  ["other tenant", new RegExp([ids.southbank, ids.bea, ids.grace, ids.c5].join("|"), "i")],
];

function hash(text: string): number {
  let h = 0;
  for (const char of text) h = (Math.imul(h, 31) + (char.codePointAt(0) ?? 0)) | 0;
  return h;
}

describe("hostile input on every procedure", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;
  let before: Record<string, string>;

  /** Per table (partitions and materialized views included): row count and a digest of its rows. */
  async function fingerprint(): Promise<Record<string, string>> {
    const tables = await queryRows<{ name: string }>(
      database.db,
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'm') order by 1`,
    );
    const result: Record<string, string> = {};
    for (const { name } of tables) {
      // Bookkeeping of credential use is not data a procedure writes.
      const row = await queryOne<{ n: number; digest: string }>(
        database.db,
        sql`select count(*)::int as n,
                   md5(coalesce(string_agg(md5((to_jsonb(t) - 'last_used_at' - 'last_seen_at')::text), '' order by
                                           md5((to_jsonb(t) - 'last_used_at' - 'last_seen_at')::text)), '')) as digest
            from ${sql.identifier(name)} t`,
      );
      result[name] = `${row?.n}:${row?.digest}`;
    }
    return result;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    await refreshCourseSummary(database.db);
    services = createTestServices(database);
    before = await fingerprint();
  });
  afterAll(() => database.destroy());

  it("reads every procedure from the router", () => {
    expect(procedures.length).toBeGreaterThan(10);
    for (const path of ["auth.signIn", "progress.record", "audit.list", "tokens.create", "privacy.eraseUser"]) {
      expect(procedures.map((p) => p.path)).toContain(path);
    }
  });

  for (const procedure of procedures) {
    const schema = inputJsonSchema(procedure.parser);
    const inputs = malformedInput(schema);
    for (const [role, principal] of callers) {
      it(`${procedure.path} as ${role}: ${runsPerCase} malformed inputs, each refused with a clean 4xx`, async () => {
        const caller = callerAs(services, principal) as unknown as Record<string, unknown>;
        const call = procedure.path
          .split(".")
          .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (
          input: unknown,
        ) => Promise<unknown>;
        await fc.assert(
          fc.asyncProperty(inputs, async (input) => {
            let error: unknown;
            try {
              await call(input);
            } catch (caught) {
              error = caught;
            }
            // Procedures without an input parser ignore the input: they may answer.
            if (error === undefined && procedure.parser === undefined) return;
            if (!(error instanceof TRPCError)) {
              throw new Error(`accepted a malformed input, or failed outside tRPC: ${String(error)}`);
            }
            if (error.code === "INTERNAL_SERVER_ERROR") {
              throw new Error(`INTERNAL_SERVER_ERROR: ${error.message} <- ${String(error.cause)}`);
            }
            const status = getHTTPStatusCodeFromError(error);
            if (status < 400 || status > 499) throw new Error(`status ${status} (${error.code})`);
            for (const [what, pattern] of LEAKS) {
              if (pattern.test(error.message)) throw new Error(`message leaks ${what}: ${error.message.slice(0, 300)}`);
            }
          }),
          { seed: SEED ^ hash(`${procedure.path}:${role}`), numRuns: runsPerCase, endOnFailure: false },
        );
      });
    }
  }

  it("left the database exactly as it was", async () => {
    expect(await fingerprint()).toEqual(before);
  });
});
