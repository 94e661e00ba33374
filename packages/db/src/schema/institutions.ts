import { sql } from "drizzle-orm";
import { check, index, pgTable, unique, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, updatedAt } from "./columns.ts";
import { institutionType } from "./enums.ts";

export const institutions = pgTable(
  "institutions",
  {
    id: id(),
    name: varchar("name", { length: 200 }).notNull(),
    domain: varchar("domain", { length: 100 }).notNull().unique(),
    type: institutionType("type").notNull(),
    // IANA zone in which analytics days are cut (DESIGN.md: UTC unless set).
    timeZone: varchar("time_zone", { length: 64 }).notNull().default("UTC"),
    settings: jsonObject("settings"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The guide's @@index([domain]) is served by the unique constraint's index.
    index("institutions_type_created_at_idx").on(t.type, t.createdAt),
  ],
);

/** A department belongs to one institution; users and courses may belong to one. */
export const departments = pgTable(
  "departments",
  {
    id: id(),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    name: varchar("name", { length: 150 }).notNull(),
    code: varchar("code", { length: 20 }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("departments_institution_code_key").on(t.institutionId, t.code),
    // Target of composite foreign keys that keep a member in its own institution.
    unique("departments_id_institution_key").on(t.id, t.institutionId),
    check("departments_code_not_blank", sql`length(trim(${t.code})) > 0`),
  ],
);
