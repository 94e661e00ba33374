import { sql } from "drizzle-orm";
import { boolean, index, pgTable, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, timestamptz, updatedAt } from "./columns.ts";
import { userRole } from "./enums.ts";
import { departments, institutions } from "./institutions.ts";

export const users = pgTable(
  "users",
  {
    id: id(),
    // Stored lower-cased by the application, so the unique index is case-insensitive in effect.
    email: varchar("email", { length: 255 }).notNull().unique(),
    name: varchar("name", { length: 100 }).notNull(),
    role: userRole("role").notNull(),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "set null" }),
    profileData: jsonObject("profile_data"),
    preferences: jsonObject("preferences"),
    isActive: boolean("is_active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastLoginAt: timestamptz("last_login_at"),
  },
  (t) => [
    // The guide's @@index([email]) is served by the unique constraint's index.
    index("users_institution_id_role_idx").on(t.institutionId, t.role),
    index("users_role_is_active_idx").on(t.role, t.isActive),
    index("users_last_login_at_idx").on(t.lastLoginAt),
    index("users_department_id_idx").on(t.departmentId),
    // The guide's idx_users_active_educational: rosters and pickers list active people only.
    index("idx_users_active_educational").on(t.institutionId, t.role).where(sql`${t.isActive} = true`),
  ],
);
