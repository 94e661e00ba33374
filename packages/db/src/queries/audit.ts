import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryRows } from "../execute.ts";
import type { Principal } from "./auth.ts";
import { decodeCursor, type KeysetPagination, keysetFields, keysetPage } from "./pagination.ts";

// The audit trail (issue 6): every administrative write appends an entry in its own
// transaction; admins list them. The table is append-only (drizzle/0003) and outlives erasure
// of a person, so entries hold ids and field NAMES, never personal values: once a person is
// erased, the ids in old entries lead to an anonymised account and identify nobody.

export interface AuditEntry {
  institutionId: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/** The actor columns of an entry, for a verified caller (a person, or a token acting as nobody). */
export function auditActorOf(principal: Principal): Pick<AuditEntry, "institutionId" | "actorUserId" | "actorTokenId"> {
  return {
    institutionId: principal.institutionId,
    actorUserId: principal.userId,
    actorTokenId: principal.kind === "token" ? principal.tokenId : null,
  };
}

const EMAIL_SHAPED = /[^\s@]+@[^\s@]+\.[^\s@]+/;
/** Keys whose values are secrets or personal by nature, whoever passes them. */
const DROPPED_KEYS = new Set(["email", "password", "passwordHash", "secret", "token", "tokenHash", "phone", "address"]);

/**
 * A backstop for the rule above, not a substitute: secret-bearing keys are dropped and
 * email-shaped strings replaced, at any depth, so one careless caller cannot write a
 * personal value into a table nobody may clean.
 */
export function redactAuditDetails(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[too deep]";
  if (typeof value === "string") return EMAIL_SHAPED.test(value) ? "[redacted]" : value;
  if (Array.isArray(value)) return value.map((item) => redactAuditDetails(item, depth + 1));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!DROPPED_KEYS.has(key)) out[key] = redactAuditDetails(item, depth + 1);
    }
    return out;
  }
  return value;
}

/** Appends to the audit trail; call it inside the transaction of the write it records. */
export async function recordAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.execute(
    sql`insert into audit_log (institution_id, actor_user_id, actor_token_id, action, target_type, target_id, details)
        values (${entry.institutionId}, ${entry.actorUserId}, ${entry.actorTokenId}, ${entry.action},
                ${entry.targetType}, ${entry.targetId}, ${JSON.stringify(redactAuditDetails(entry.details ?? {}))}::jsonb)`,
  );
}

// Listing ------------------------------------------------------------------------------------

/** A point in time: a Date (superjson clients) or an ISO 8601 timestamp with offset (CLI, JSON). */
const instant = z
  .union([z.date("must be a valid date"), z.iso.datetime({ offset: true, message: "must be an ISO 8601 timestamp" })])
  .transform((value) => new Date(value));

export const auditListInput = z
  .strictObject({
    ...keysetFields,
    /** Entries made by this person. */
    actorUserId: z.guid("must be a uuid").optional(),
    /** Entries made through this API token. */
    actorTokenId: z.guid("must be a uuid").optional(),
    /** Exact action, e.g. `api_token.create`; or every action of a kind with a trailing dot: `user.`. */
    action: z
      .string()
      .max(64, "must be at most 64 characters")
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]*)*$/, "must look like `kind.verb` (lower case)")
      .optional(),
    targetType: z
      .string()
      .max(40, "must be at most 40 characters")
      .regex(/^[a-z][a-z0-9_]*$/, "must be a lower-case word")
      .optional(),
    targetId: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters").optional(),
    /** From this instant, inclusive. */
    from: instant.optional(),
    /** Before this instant, exclusive. */
    to: instant.optional(),
  })
  .superRefine((input, context) => {
    if (input.from && input.to && input.to <= input.from) {
      context.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    }
  });
export type AuditListInput = z.output<typeof auditListInput>;

export interface AuditListEntry {
  id: string;
  at: Date;
  action: string;
  actor: { userId: string | null; tokenId: string | null; name: string | null };
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
}

interface AuditRow {
  id: string;
  at: Date | string;
  atMicros: string;
  action: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  actorName: string | null;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
}

/**
 * One page of an institution's audit trail, newest first. Keyset on (at, id): a deep page costs
 * what the first does and entries appended meanwhile never shift a page. The cursor carries `at`
 * in whole microseconds (a JS Date would round it to milliseconds and skip or repeat entries).
 * Each filter has an index in this order (drizzle/0017, docs/indexes.md): a page is an index
 * range read of limit + 1 entries. The conditions on indexed columns are leakproof comparisons
 * (uuid, text, timestamptz, row), so under row-level security they still become index conditions.
 */
export async function listAudit(
  db: Database,
  input: AuditListInput,
  scope: { institutionId: string },
): Promise<{ entries: AuditListEntry[]; pagination: KeysetPagination }> {
  const conditions: SQL[] = [sql`a.institution_id = ${scope.institutionId}::uuid`];
  if (input.actorUserId) conditions.push(sql`a.actor_user_id = ${input.actorUserId}::uuid`);
  if (input.actorTokenId) conditions.push(sql`a.actor_token_id = ${input.actorTokenId}::uuid`);
  if (input.action?.endsWith(".")) conditions.push(sql`starts_with(a.action, ${input.action})`);
  else if (input.action) conditions.push(sql`a.action = ${input.action}`);
  if (input.targetType) conditions.push(sql`a.target_type = ${input.targetType}`);
  if (input.targetId) conditions.push(sql`a.target_id = ${input.targetId}`);
  if (input.from) conditions.push(sql`a.at >= ${input.from}`);
  if (input.to) conditions.push(sql`a.at < ${input.to}`);
  if (input.cursor !== undefined) {
    const key = decodeCursor(input.cursor, 2);
    const [atMicros, id] = key ?? [];
    if (
      typeof atMicros !== "string" ||
      !/^\d{1,19}$/.test(atMicros) ||
      typeof id !== "string" ||
      !/^\d{1,19}$/.test(id)
    ) {
      throw new InvalidAuditCursor();
    }
    conditions.push(
      sql`(a.at, a.id) < (timestamptz 'epoch' + ${atMicros}::bigint * interval '1 microsecond', ${id}::bigint)`,
    );
  }
  const rows = await queryRows<AuditRow>(
    db,
    sql`select a.id::text as id, a.at, (extract(epoch from a.at) * 1000000)::bigint::text as "atMicros", a.action,
               a.actor_user_id as "actorUserId", a.actor_token_id as "actorTokenId", u.name as "actorName",
               a.target_type as "targetType", a.target_id as "targetId", a.details
        from audit_log a
        left join users u on u.id = a.actor_user_id
        where ${sql.join(conditions, sql` and `)}
        order by a.at desc nulls last, a.id desc nulls last
        limit ${input.limit + 1}`,
  );
  const page = keysetPage(rows, input.limit, (row) => [row.atMicros, row.id]);
  return {
    entries: page.rows.map((row) => ({
      id: row.id,
      at: new Date(row.at),
      action: row.action,
      actor: { userId: row.actorUserId, tokenId: row.actorTokenId, name: row.actorName },
      targetType: row.targetType,
      targetId: row.targetId,
      details: row.details,
    })),
    pagination: page.pagination,
  };
}

/** The cursor was not made by audit.list (tampered, or from another list). */
export class InvalidAuditCursor extends Error {
  constructor() {
    super("cursor: is not a cursor of this list");
  }
}
