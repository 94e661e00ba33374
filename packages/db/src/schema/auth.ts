import { index, pgTable, text, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz } from "./columns.ts";
import { userRole } from "./enums.ts";
import { institutions } from "./institutions.ts";
import { users } from "./users.ts";

/** Password hashes (argon2id, PHC string), apart from users so profile reads never carry them. */
export const userCredentials = pgTable("user_credentials", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  institutionId: uuid("institution_id")
    .notNull()
    .references(() => institutions.id, { onDelete: "cascade" }),
  passwordHash: text("password_hash").notNull(),
  passwordChangedAt: timestamptz("password_changed_at").notNull().defaultNow(),
});

/**
 * Server-side sessions behind the httpOnly cookie. Only a SHA-256 of the random cookie value is
 * stored, so a copy of this table cannot be replayed as cookies.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    tokenHash: varchar("token_hash", { length: 64 }).notNull().unique(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
    lastSeenAt: timestamptz("last_seen_at").notNull().defaultNow(),
    revokedAt: timestamptz("revoked_at"),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_expires_at_idx").on(t.expiresAt)],
);

/** API tokens for scripts and integrations: random, stored hashed, scoped to an institution and a role. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: id(),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    name: varchar("name", { length: 100 }).notNull(),
    role: userRole("role").notNull(),
    /** The person a non-admin token acts as (an instructor's script); null for institution-wide tokens. */
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    tokenHash: varchar("token_hash", { length: 64 }).notNull().unique(),
    /** First characters of the token, shown in lists so a person can tell tokens apart. */
    tokenPrefix: varchar("token_prefix", { length: 16 }).notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at"),
    lastUsedAt: timestamptz("last_used_at"),
    revokedAt: timestamptz("revoked_at"),
  },
  (t) => [index("api_tokens_institution_id_idx").on(t.institutionId)],
);
