import { type Database, queryRows } from "@coursebase/db";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { ZodError } from "zod";

/** The code and message a call was refused with (fails the test when it succeeds). */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) {
      // What a client reads (trpc/middlewares/errors.ts): validation issues as "field.path: reason".
      const message =
        error.cause instanceof ZodError
          ? error.cause.issues
              .map((issue) => `${issue.path.map(String).join(".") || "(input)"}: ${issue.message}`)
              .join("; ")
          : error.message;
      return { code: error.code, message };
    }
    throw error;
  }
  expect.fail("expected the call to be refused, but it succeeded");
}

/** The audit entries of an action, oldest first (read as the owner: the test's own connection). */
export function auditEntries(db: Database, action: string) {
  return queryRows<{
    institutionId: string;
    actorUserId: string | null;
    targetId: string | null;
    details: Record<string, unknown>;
  }>(
    db,
    sql`select institution_id as "institutionId", actor_user_id as "actorUserId", target_id as "targetId", details
        from audit_log where action = ${action} order by id`,
  );
}

/** A digest of whole tables: equal digests mean nothing in them changed. */
export async function digest(db: Database, tables: string[]): Promise<string> {
  const parts = tables.map(
    (table) => sql`(select string_agg(t::text, '|' order by t::text) from ${sql.identifier(table)} t)`,
  );
  const rows = await queryRows<{ digest: string }>(
    db,
    sql`select md5(concat_ws('#', ${sql.join(parts, sql`, `)})) as digest`,
  );
  return rows[0]?.digest ?? "";
}
