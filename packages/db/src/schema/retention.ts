import { sql } from "drizzle-orm";
import { check, integer, pgTable, uuid } from "drizzle-orm/pg-core";
import { updatedAt } from "./columns.ts";
import { institutions } from "./institutions.ts";

/**
 * An institution's retention policy (issue 6). A table rather than a key of institutions.settings:
 * typed, range-checked by the database, and the retention job reads every institution's window in
 * one indexed scan. No row means the defaults (queries/retention.ts, DEFAULT_RETENTION_POLICY).
 */
export const retentionPolicies = pgTable(
  "retention_policies",
  {
    institutionId: uuid("institution_id")
      .primaryKey()
      .references(() => institutions.id, { onDelete: "cascade" }),
    /** Progress history (progress_history) older than this many months is removed. */
    progressHistoryMonths: integer("progress_history_months").notNull(),
    /** Accounts without activity for this many years are anonymised. */
    inactiveAccountYears: integer("inactive_account_years").notNull(),
    /** Who set it last (a user id; null for a token). No FK: erasing that person keeps the policy. */
    updatedBy: uuid("updated_by"),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("retention_policies_history_months_range", sql`${t.progressHistoryMonths} between 1 and 120`),
    check("retention_policies_inactive_years_range", sql`${t.inactiveAccountYears} between 1 and 50`),
  ],
);
