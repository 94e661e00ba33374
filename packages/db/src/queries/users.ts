import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import { type UserRole, userRole } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { assertDepartment } from "./departments.ts";
import { decodeCursor, type KeysetPagination, keysetFields, keysetPage } from "./pagination.ts";
import { type Actor, auditActor, notFound, Refusal, refuseViolations } from "./refusals.ts";

// People of the caller's institution: create, update, deactivate / reactivate, change role, and
// a keyset-paginated list that stays an index range read on 100k users.

const userId = z.guid("must be a UUID");
/** Emails are stored lower-cased (sign-in looks them up lower-cased; the unique index is on the column). */
const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(255, "must be at most 255 characters")
  .email("must be an email address");
const personName = z.string().trim().min(1, "is required").max(100, "must be at most 100 characters");
/** Free-form profile (title, phone, bio, ...): a flat-ish JSON object, bounded so a row stays small. */
const profileData = z
  .record(z.string().max(64), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 8_192, { message: "must be at most 8 KB of JSON" });

export const createUserInput = z.strictObject({
  email,
  name: personName,
  role: z.enum(userRole.enumValues),
  departmentId: z.guid("must be a UUID").nullish(),
  profileData: profileData.optional(),
});
export type CreateUserInput = z.output<typeof createUserInput>;

export const updateUserInput = z
  .strictObject({
    userId,
    name: personName.optional(),
    email: email.optional(),
    /** null detaches the person from their department. */
    departmentId: z.guid("must be a UUID").nullable().optional(),
    /** Replaces the profile object. */
    profileData: profileData.optional(),
  })
  .refine((input) => Object.keys(input).some((key) => key !== "userId"), {
    message: "give at least one field to change",
  });
export type UpdateUserInput = z.output<typeof updateUserInput>;

export const userIdInput = z.strictObject({ userId });
export const changeUserRoleInput = z.strictObject({ userId, role: z.enum(userRole.enumValues) });

/** Longest prefix searched: longer text cannot be a meaningful prefix of a 100-character name. */
const MAX_PREFIX = 100;

export const listUsersInput = z
  .strictObject({
    role: z.enum(userRole.enumValues).optional(),
    departmentId: z.guid("must be a UUID").optional(),
    isActive: z.boolean().optional(),
    /** Last sign-in at or after / before (exclusive) these instants; people who never signed in are left out. */
    lastLoginFrom: z.coerce.date().optional(),
    lastLoginTo: z.coerce.date().optional(),
    /** Case-insensitive prefix of the name ("gra" finds Grace Hopper). */
    namePrefix: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(MAX_PREFIX, `must be at most ${MAX_PREFIX} characters`)
      .optional(),
    /** Prefix of the email (emails are stored lower-case). */
    emailPrefix: z
      .string()
      .trim()
      .toLowerCase()
      .min(1, "must not be empty")
      .max(255, "must be at most 255 characters")
      .optional(),
    ...keysetFields,
  })
  .refine((i) => !(i.lastLoginFrom && i.lastLoginTo) || i.lastLoginFrom < i.lastLoginTo, {
    message: "lastLoginFrom must be before lastLoginTo",
    path: ["lastLoginTo"],
  });
export type ListUsersInput = z.output<typeof listUsersInput>;

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  departmentId: string | null;
  department: { id: string; name: string; code: string } | null;
  profileData: Record<string, unknown>;
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

type UserRow = Omit<UserRecord, "createdAt" | "updatedAt" | "lastLoginAt"> & {
  createdAt: string | Date;
  updatedAt: string | Date;
  lastLoginAt: string | Date | null;
};

const toUser = (row: UserRow): UserRecord => ({
  ...row,
  createdAt: new Date(row.createdAt),
  updatedAt: new Date(row.updatedAt),
  lastLoginAt: row.lastLoginAt === null ? null : new Date(row.lastLoginAt),
});

const userColumns = sql`u.id, u.email, u.name, u.role, u.department_id as "departmentId",
  case when d.id is null then null else json_build_object('id', d.id, 'name', d.name, 'code', d.code) end as department,
  u.profile_data as "profileData", u.is_active as "isActive", u.created_at as "createdAt",
  u.updated_at as "updatedAt", u.last_login_at as "lastLoginAt"`;

export async function getUser(db: Database, id: string): Promise<UserRecord> {
  const row = await queryOne<UserRow>(
    db,
    sql`select ${userColumns} from users u left join departments d on d.id = u.department_id where u.id = ${id}`,
  );
  if (!row) throw notFound("userId", "user");
  return toUser(row);
}

// The unique index on email is global (sign-in finds a person by email alone): a clash with
// another institution's person must not say more than "already in use".
const emailTaken = () => new Refusal("CONFLICT", "email: already in use");

export async function createUser(db: Database, actor: Actor, input: CreateUserInput): Promise<UserRecord> {
  if (input.departmentId) await assertDepartment(db, input.departmentId);
  const created = await refuseViolations(
    () =>
      queryOne<{ id: string }>(
        db,
        sql`insert into users (email, name, role, institution_id, department_id, profile_data)
            values (${input.email}, ${input.name}, ${input.role}, ${actor.institutionId}, ${input.departmentId ?? null},
                    ${JSON.stringify(input.profileData ?? {})}::jsonb)
            returning id`,
      ),
    { users_email_unique: emailTaken },
  );
  if (!created) throw new Error("insert returned no row");
  await recordAudit(db, {
    ...auditActor(actor),
    action: "user.create",
    targetType: "user",
    targetId: created.id,
    details: { role: input.role, departmentId: input.departmentId ?? null },
  });
  return getUser(db, created.id);
}

export async function updateUser(db: Database, actor: Actor, input: UpdateUserInput): Promise<UserRecord> {
  if (input.departmentId) await assertDepartment(db, input.departmentId);
  const sets: SQL[] = [sql`updated_at = now()`];
  if (input.name !== undefined) sets.push(sql`name = ${input.name}`);
  if (input.email !== undefined) sets.push(sql`email = ${input.email}`);
  if (input.departmentId !== undefined) sets.push(sql`department_id = ${input.departmentId}`);
  if (input.profileData !== undefined) sets.push(sql`profile_data = ${JSON.stringify(input.profileData)}::jsonb`);
  const updated = await refuseViolations(
    () =>
      queryOne<{ id: string }>(
        db,
        sql`update users set ${sql.join(sets, sql`, `)} where id = ${input.userId} returning id`,
      ),
    { users_email_unique: emailTaken },
  );
  if (!updated) throw notFound("userId", "user");
  // Personal values stay out of the audit trail (it outlives erasure): which fields changed only.
  const { userId: _id, ...changed } = input;
  await recordAudit(db, {
    ...auditActor(actor),
    action: "user.update",
    targetType: "user",
    targetId: input.userId,
    details: { fields: Object.keys(changed).filter((key) => changed[key as keyof typeof changed] !== undefined) },
  });
  return getUser(db, input.userId);
}

/**
 * Locks the institution row, then refuses when the change would leave it without an active
 * administrator. Two administrators demoting each other at once are serialised by the lock, so
 * the second sees the first's change.
 */
async function assertKeepsAnAdministrator(db: Database, actor: Actor, targetId: string, what: string): Promise<void> {
  await db.execute(sql`select id from institutions where id = ${actor.institutionId} for no key update`);
  const row = await queryOne<{ others: number }>(
    db,
    sql`select count(*)::int as others from users
        where institution_id = ${actor.institutionId} and role = 'ADMIN' and is_active and id <> ${targetId}`,
  );
  if ((row?.others ?? 0) === 0) {
    throw new Refusal(
      "PRECONDITION_FAILED",
      `userId: ${what} would leave the institution without an active administrator`,
    );
  }
}

interface TargetState {
  id: string;
  role: UserRole;
  isActive: boolean;
}

async function lockUser(db: Database, id: string): Promise<TargetState> {
  const row = await queryOne<TargetState>(
    db,
    sql`select id, role, is_active as "isActive" from users where id = ${id} for no key update`,
  );
  if (!row) throw notFound("userId", "user");
  return row;
}

/**
 * Deactivates a person: they can no longer sign in, and every session of theirs is revoked in
 * the same transaction (a stolen or open session stops working at once). Their API tokens stop
 * resolving while they are inactive (auth_resolve_api_token checks is_active) and work again on
 * reactivation. Idempotent.
 */
export async function deactivateUser(
  db: Database,
  actor: Actor,
  input: z.output<typeof userIdInput>,
): Promise<{ user: UserRecord; revokedSessions: number }> {
  if (input.userId === actor.userId) throw new Refusal("BAD_REQUEST", "userId: you cannot deactivate yourself");
  const target = await lockUser(db, input.userId);
  if (target.role === "ADMIN" && target.isActive)
    await assertKeepsAnAdministrator(db, actor, target.id, "deactivating them");
  const row = await queryOne<{ revoked: number }>(
    db,
    sql`with deactivated as (
          update users set is_active = false, updated_at = now() where id = ${input.userId} and is_active returning id
        ), revoked as (
          update sessions set revoked_at = now() where user_id = ${input.userId} and revoked_at is null returning id
        )
        select count(*)::int as revoked from revoked`,
  );
  if (target.isActive) {
    await recordAudit(db, {
      ...auditActor(actor),
      action: "user.deactivate",
      targetType: "user",
      targetId: input.userId,
      details: { revokedSessions: row?.revoked ?? 0 },
    });
  }
  return { user: await getUser(db, input.userId), revokedSessions: row?.revoked ?? 0 };
}

/** Reactivates a person (they sign in again; revoked sessions stay revoked). Idempotent. */
export async function reactivateUser(
  db: Database,
  actor: Actor,
  input: z.output<typeof userIdInput>,
): Promise<UserRecord> {
  const target = await lockUser(db, input.userId);
  if (!target.isActive) {
    await db.execute(sql`update users set is_active = true, updated_at = now() where id = ${input.userId}`);
    await recordAudit(db, {
      ...auditActor(actor),
      action: "user.reactivate",
      targetType: "user",
      targetId: input.userId,
    });
  }
  return getUser(db, input.userId);
}

/**
 * Changes a person's role. Sessions follow at once (a session resolves the user's current role);
 * API tokens carry the role they were minted with, so the person's tokens of another role are
 * revoked. The last active administrator cannot be demoted (nor demote themselves).
 */
export async function changeUserRole(
  db: Database,
  actor: Actor,
  input: z.output<typeof changeUserRoleInput>,
): Promise<{ user: UserRecord; revokedTokens: number }> {
  const target = await lockUser(db, input.userId);
  if (target.role === input.role) return { user: await getUser(db, input.userId), revokedTokens: 0 };
  if (target.role === "ADMIN" && target.isActive)
    await assertKeepsAnAdministrator(db, actor, target.id, "demoting them");
  const row = await queryOne<{ revoked: number }>(
    db,
    sql`with changed as (
          update users set role = ${input.role}, updated_at = now() where id = ${input.userId} returning id
        ), revoked as (
          update api_tokens set revoked_at = now()
          where user_id = ${input.userId} and revoked_at is null and role <> ${input.role} returning id
        )
        select count(*)::int as revoked from revoked`,
  );
  await recordAudit(db, {
    ...auditActor(actor),
    action: "user.changeRole",
    targetType: "user",
    targetId: input.userId,
    details: { from: target.role, to: input.role, revokedTokens: row?.revoked ?? 0 },
  });
  return { user: await getUser(db, input.userId), revokedTokens: row?.revoked ?? 0 };
}

// --- List --------------------------------------------------------------------------------------

export interface UserListItem {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  departmentId: string | null;
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
}

/** The upper bound of a prefix range: the prefix followed by the highest code point. */
const prefixEnd = (prefix: string) => `${prefix}\u{10FFFF}`;

/**
 * People ordered by name (`sort_name` = lower(name), then id), keyset-paginated: one statement,
 * `limit + 1` rows. Written for row-level security, under which only leakproof conditions may
 * become index conditions (uuid, text, boolean and timestamptz comparisons are; lower(), enum
 * equality and row comparisons are not):
 * - no filter: a range read of users_institution_id_sort_name_id_idx from the cursor, stopping
 *   after the page, whatever its depth. The cursor is `sort_name >= $1 and (sort_name > $1 or
 *   id > $2)`: the first half is the index condition, where `(sort_name, id) > ($1, $2)` would not be.
 * - a staff role: the static `role <> 'STUDENT'` lets the planner read the partial
 *   users_staff_sort_name_idx (a few thousand staff instead of 100k students; a partial index's
 *   predicate is proven whatever the conditions' security level, and, being static text, in a
 *   generic plan too). Students are most rows: the main index with a filter keeps the page cheap.
 * - a department: users_department_id_sort_name_id_idx, same order, from the cursor.
 * - namePrefix: a range of the same key (`sort_name >= 'gra' and sort_name < 'gra' || U+10FFFF`),
 *   read in order from the cursor. Ranges, not LIKE: the database collation is not C, so
 *   LIKE 'x%' cannot use a B-tree, and a typed `%` or `_` must not act as a wildcard.
 * - emailPrefix: a range of users_email_unique, its matches then sorted by name (its cost grows
 *   with the matches: a prefix of a few characters matches few people).
 * - last login range: a filter on the walk in name order (people who signed in recently are
 *   spread over the alphabet, so a page costs about limit / share rows read).
 */
export async function listUsers(
  db: Database,
  institutionId: string,
  input: ListUsersInput,
): Promise<{ users: UserListItem[]; pagination: KeysetPagination }> {
  const filters: SQL[] = [sql`u.institution_id = ${institutionId}`];
  if (input.role) filters.push(sql`u.role = ${input.role}`);
  if (input.role && input.role !== "STUDENT") filters.push(sql`u.role <> 'STUDENT'`);
  if (input.departmentId) filters.push(sql`u.department_id = ${input.departmentId}`);
  if (input.isActive !== undefined) filters.push(sql`u.is_active = ${input.isActive}`);
  if (input.lastLoginFrom) filters.push(sql`u.last_login_at >= ${input.lastLoginFrom}`);
  if (input.lastLoginTo) filters.push(sql`u.last_login_at < ${input.lastLoginTo}`);
  if (input.namePrefix) {
    const prefix = input.namePrefix.toLowerCase();
    filters.push(sql`u.sort_name >= ${prefix} and u.sort_name < ${prefixEnd(prefix)}`);
  }
  if (input.emailPrefix) {
    filters.push(sql`u.email >= ${input.emailPrefix} and u.email < ${prefixEnd(input.emailPrefix)}`);
  }
  if (input.cursor !== undefined) {
    const key = decodeCursor(input.cursor, 2);
    if (!key || typeof key[0] !== "string" || typeof key[1] !== "string" || !z.guid().safeParse(key[1]).success) {
      throw new Refusal("BAD_REQUEST", "cursor: is not a cursor of this list (pass nextCursor unchanged)");
    }
    filters.push(sql`u.sort_name >= ${key[0]} and (u.sort_name > ${key[0]} or u.id > ${key[1]}::uuid)`);
  }
  if (input.emailPrefix || input.lastLoginFrom || input.lastLoginTo) {
    // How many people an email prefix or a sign-in range matches decides the plan (a few: their
    // index, then a sort; most: the walk in name order). A generic plan of the prepared
    // statement cannot tell, and walking all 100k for a range that matches 12 costs ~100x: plan
    // this statement for its values (for this transaction only).
    await db.execute(sql`select set_config('plan_cache_mode', 'force_custom_plan', true)`);
  }
  const rows = await queryRows<UserListItem & { sortName: string }>(
    db,
    sql`select u.id, u.email, u.name, u.role, u.department_id as "departmentId", u.is_active as "isActive",
               u.last_login_at as "lastLoginAt", u.created_at as "createdAt", u.sort_name as "sortName"
        from users u
        where ${sql.join(filters, sql` and `)}
        order by u.sort_name, u.id
        limit ${input.limit + 1}`,
  );
  const { rows: page, pagination } = keysetPage(rows, input.limit, (row) => [row.sortName, row.id]);
  return {
    users: page.map(({ sortName: _sort, ...user }) => ({
      ...user,
      lastLoginAt: user.lastLoginAt === null ? null : new Date(user.lastLoginAt),
      createdAt: new Date(user.createdAt),
    })),
    pagination,
  };
}
