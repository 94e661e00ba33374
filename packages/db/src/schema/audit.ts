import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, uuid, varchar } from "drizzle-orm/pg-core";
import { timestamptz } from "./columns.ts";
import { institutions } from "./institutions.ts";

/**
 * Append-only record of administrative writes. A trigger (custom migration) refuses UPDATE and
 * DELETE, so neither the application nor a mistaken script can rewrite history.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    actorUserId: uuid("actor_user_id"),
    actorTokenId: uuid("actor_token_id"),
    action: varchar("action", { length: 64 }).notNull(),
    targetType: varchar("target_type", { length: 40 }).notNull(),
    targetId: varchar("target_id", { length: 128 }),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    at: timestamptz("at").notNull().defaultNow(),
  },
  // audit.list pages newest first by keyset (at, id) within one institution; each filter it
  // offers has an index that yields its rows already in that order (docs/indexes.md).
  (t) => [
    index("audit_log_institution_at_id_idx").on(t.institutionId, t.at.desc(), t.id.desc()),
    index("audit_log_institution_actor_at_id_idx")
      .on(t.institutionId, t.actorUserId, t.at.desc(), t.id.desc())
      .where(sql`${t.actorUserId} is not null`),
    index("audit_log_institution_target_at_id_idx")
      .on(t.institutionId, t.targetId, t.at.desc(), t.id.desc())
      .where(sql`${t.targetId} is not null`),
    index("audit_log_institution_action_at_id_idx").on(t.institutionId, t.action, t.at.desc(), t.id.desc()),
  ],
);
