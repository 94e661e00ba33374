import { type SQL, sql } from "drizzle-orm";
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
    // lower(name), kept by PostgreSQL: the sort and prefix key of users.list. A plain column
    // because under row-level security only leakproof conditions become index conditions, and
    // lower() is not leakproof: `lower(name) >= $1` on an expression index is a Filter for the
    // application role, a range for this column.
    sortName: varchar("sort_name", { length: 100 })
      .notNull()
      .generatedAlwaysAs((): SQL => sql`lower((${users.name})::text)`),
  },
  (t) => [
    // The guide's @@index([email]) is served by the unique constraint's index.
    index("users_institution_id_role_idx").on(t.institutionId, t.role),
    index("users_role_is_active_idx").on(t.role, t.isActive),
    index("users_last_login_at_idx").on(t.lastLoginAt),
    // Department rosters in users.list order (keyset on sort_name, id), and the SET NULL on a
    // department delete (replaces a plain (department_id) index).
    index("users_department_id_sort_name_id_idx").on(t.departmentId, t.sortName, t.id),
    // The guide's idx_users_active_educational: rosters and pickers list active people only.
    index("idx_users_active_educational").on(t.institutionId, t.role).where(sql`${t.isActive} = true`),
    // users.list: people of an institution by name, keyset-paginated on (sort_name, id); also
    // the case-insensitive name prefix search, as a range of the same key.
    index("users_institution_id_sort_name_id_idx").on(t.institutionId, t.sortName, t.id),
    // users.list filtered to a staff role (a few hundred among 100k students): the same order
    // over staff only. Used because the query states `role <> 'STUDENT'` (see listUsers).
    index("users_staff_sort_name_idx").on(t.institutionId, t.sortName, t.id).where(sql`${t.role} <> 'STUDENT'`),
  ],
);
