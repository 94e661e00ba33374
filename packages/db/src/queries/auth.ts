import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import type { UserRole } from "../schema/enums.ts";

// Sign-in, sessions and API tokens. Secrets never reach this layer: callers pass SHA-256 hashes.

export const signInInput = z
  .object({
    email: z.string().trim().toLowerCase().email("must be an email address").max(255),
    password: z.string().min(1, "is required").max(1024, "is too long"),
  })
  .strict();
export type SignInInput = z.infer<typeof signInInput>;

export interface SignInCandidate {
  userId: string;
  institutionId: string;
  role: UserRole;
  isActive: boolean;
  passwordHash: string | null;
}

export function getSignInCandidate(db: Database, email: string): Promise<SignInCandidate | undefined> {
  return queryOne<SignInCandidate>(
    db,
    sql`select user_id as "userId", institution_id as "institutionId", role, is_active as "isActive",
               password_hash as "passwordHash"
        from auth_sign_in_candidate(${email.toLowerCase()})`,
  );
}

export async function setPassword(db: Database, userId: string, passwordHash: string): Promise<void> {
  await db.execute(
    sql`insert into user_credentials (user_id, institution_id, password_hash)
        select id, institution_id, ${passwordHash} from users where id = ${userId}
        on conflict (user_id) do update set password_hash = excluded.password_hash, password_changed_at = now()`,
  );
}

export async function createSession(
  db: Database,
  session: { tokenHash: string; userId: string; institutionId: string; expiresAt: Date },
): Promise<void> {
  await db.execute(
    sql`with session as (
          insert into sessions (token_hash, user_id, institution_id, expires_at)
          values (${session.tokenHash}, ${session.userId}, ${session.institutionId}, ${session.expiresAt})
        )
        update users set last_login_at = now() where id = ${session.userId}`,
  );
}

/** The verified identity behind a request. */
export type Principal =
  | { kind: "session"; sessionId: string; userId: string; institutionId: string; role: UserRole }
  | { kind: "token"; tokenId: string; userId: string | null; institutionId: string; role: UserRole };

/**
 * Resolves a session cookie's hash to its user, refusing revoked, expired or deactivated ones.
 * Runs before the request has a tenant, so it goes through a SECURITY DEFINER function
 * (drizzle/0004_tenant_isolation.sql), which also refreshes last-seen at most once a minute.
 */
export async function resolveSession(db: Database, tokenHash: string): Promise<Principal | undefined> {
  const row = await queryOne<{ sessionId: string; userId: string; institutionId: string; role: UserRole }>(
    db,
    sql`select session_id as "sessionId", user_id as "userId", institution_id as "institutionId", role
        from auth_resolve_session(${tokenHash})`,
  );
  return row && { kind: "session", ...row };
}

export async function revokeSession(db: Database, tokenHash: string): Promise<void> {
  await db.execute(sql`update sessions set revoked_at = now() where token_hash = ${tokenHash} and revoked_at is null`);
}

export async function resolveApiToken(db: Database, tokenHash: string): Promise<Principal | undefined> {
  const row = await queryOne<{ tokenId: string; userId: string | null; institutionId: string; role: UserRole }>(
    db,
    sql`select token_id as "tokenId", user_id as "userId", institution_id as "institutionId", role
        from auth_resolve_api_token(${tokenHash})`,
  );
  return row && { kind: "token", ...row };
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: UserRole;
  tokenPrefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function insertApiToken(
  db: Database,
  token: {
    institutionId: string;
    name: string;
    role: UserRole;
    userId: string | null;
    tokenHash: string;
    tokenPrefix: string;
    createdBy: string | null;
    expiresAt: Date | null;
  },
): Promise<ApiTokenRecord> {
  const rows = await queryRows<ApiTokenRecord>(
    db,
    sql`insert into api_tokens (institution_id, name, role, user_id, token_hash, token_prefix, created_by, expires_at)
        values (${token.institutionId}, ${token.name}, ${token.role}, ${token.userId}, ${token.tokenHash}, ${token.tokenPrefix},
                ${token.createdBy}, ${token.expiresAt})
        returning id, name, role, token_prefix as "tokenPrefix", created_at as "createdAt",
                  expires_at as "expiresAt", last_used_at as "lastUsedAt", revoked_at as "revokedAt"`,
  );
  return rows[0] as ApiTokenRecord;
}

export function getInstitutionIdByDomain(db: Database, domain: string): Promise<{ id: string } | undefined> {
  return queryOne<{ id: string }>(db, sql`select id from institutions where domain = ${domain.toLowerCase()}`);
}

export interface Me {
  user: { id: string; name: string; email: string; role: UserRole } | null;
  institution: { id: string; name: string; domain: string; timeZone: string };
}

/** The signed-in person (null for an institution-wide token) and their institution. */
export async function getMe(db: Database, who: { userId: string | null; institutionId: string }): Promise<Me> {
  const row = await queryOne<Me>(
    db,
    sql`select
          (select json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'role', u.role)
             from users u where u.id = ${who.userId}) as "user",
          json_build_object('id', i.id, 'name', i.name, 'domain', i.domain, 'timeZone', i.time_zone) as institution
        from institutions i where i.id = ${who.institutionId}`,
  );
  if (!row) throw new Error(`institution ${who.institutionId} vanished`);
  return row;
}
