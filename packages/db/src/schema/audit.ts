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
  (t) => [index("audit_log_institution_id_at_idx").on(t.institutionId, t.at.desc())],
);
