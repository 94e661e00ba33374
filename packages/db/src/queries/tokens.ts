import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import { type UserRole, userRole } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";

// The API tokens page (admin): list, create (the secret is minted by the server's
// auth/tokens.ts mintApiToken and shown once), revoke. Never the secret nor its hash: a list
// shows the first characters (token_prefix) so a person can tell tokens apart.

export const tokenListInput = z.strictObject({
  ...paginationFields,
  /** Revoked tokens too (default: only usable or expired ones). */
  includeRevoked: z.boolean().default(false),
});
export type TokenListInput = z.output<typeof tokenListInput>;

export const tokenCreateInput = z.strictObject({
  /** A label, e.g. "video platform import". */
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  role: z.enum(userRole.enumValues, "must be one of ADMIN, INSTRUCTOR, TEACHING_ASSISTANT, STUDENT"),
  /** The person the token acts as: required for every role but ADMIN, and of that role. */
  userId: z.guid("must be a uuid").optional(),
  /** Days until it stops working; none: until revoked. */
  expiresInDays: z
    .number()
    .int("must be a whole number")
    .min(1, "must be 1 or more")
    .max(3650, "must be at most 3650")
    .optional(),
});
export type TokenCreateInput = z.output<typeof tokenCreateInput>;

export const tokenRevokeInput = z.strictObject({ tokenId: z.guid("must be a uuid") });
export type TokenRevokeInput = z.output<typeof tokenRevokeInput>;

export interface ApiTokenView {
  id: string;
  name: string;
  role: UserRole;
  tokenPrefix: string;
  user: { id: string; name: string } | null;
  createdBy: { id: string; name: string } | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const tokenView = sql`t.id, t.name, t.role, t.token_prefix as "tokenPrefix",
  case when t.user_id is null then null else json_build_object('id', t.user_id, 'name', u.name) end as "user",
  case when t.created_by is null then null else json_build_object('id', t.created_by, 'name', c.name) end as "createdBy",
  t.created_at as "createdAt", t.expires_at as "expiresAt", t.last_used_at as "lastUsedAt", t.revoked_at as "revokedAt"`;

type TokenRow = Omit<ApiTokenView, "createdAt" | "expiresAt" | "lastUsedAt" | "revokedAt"> & {
  createdAt: Date | string;
  expiresAt: Date | string | null;
  lastUsedAt: Date | string | null;
  revokedAt: Date | string | null;
};

const date = (value: Date | string | null) => (value === null ? null : new Date(value));
function toView(row: TokenRow): ApiTokenView {
  return {
    ...row,
    createdAt: new Date(row.createdAt),
    expiresAt: date(row.expiresAt),
    lastUsedAt: date(row.lastUsedAt),
    revokedAt: date(row.revokedAt),
  };
}

/** The institution's tokens, newest first, with the total in the same statement. */
export async function listApiTokens(
  db: Database,
  input: TokenListInput,
  scope: { institutionId: string },
): Promise<{ tokens: ApiTokenView[]; pagination: Pagination }> {
  const rows = await queryRows<TokenRow & { total: number }>(
    db,
    sql`select ${tokenView}, count(*) over ()::int as total
        from api_tokens t
        left join users u on u.id = t.user_id
        left join users c on c.id = t.created_by
        where t.institution_id = ${scope.institutionId}::uuid
          and (${input.includeRevoked} or t.revoked_at is null)
        order by t.created_at desc, t.id desc
        limit ${input.limit} offset ${pageOffset(input)}`,
  );
  const total = rows[0]?.total ?? (input.page > 1 ? await countTokens(db, input, scope) : 0);
  return { tokens: rows.map(({ total: _total, ...row }) => toView(row)), pagination: paginate(input, total) };
}

/** Past the last page the window count has no row to ride on. */
async function countTokens(db: Database, input: TokenListInput, scope: { institutionId: string }): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from api_tokens
        where institution_id = ${scope.institutionId}::uuid and (${input.includeRevoked} or revoked_at is null)`,
  );
  return row?.n ?? 0;
}

export function getApiToken(
  db: Database,
  tokenId: string,
  scope: { institutionId: string },
): Promise<ApiTokenView | undefined> {
  return queryOne<TokenRow>(
    db,
    sql`select ${tokenView}
        from api_tokens t
        left join users u on u.id = t.user_id
        left join users c on c.id = t.created_by
        where t.id = ${tokenId}::uuid and t.institution_id = ${scope.institutionId}::uuid`,
  ).then((row) => row && toView(row));
}

/** The person a new token would act as: visible only within the caller's institution (RLS). */
export function getTokenSubject(
  db: Database,
  userId: string,
): Promise<{ id: string; role: UserRole; isActive: boolean } | undefined> {
  return queryOne(db, sql`select id, role, is_active as "isActive" from users where id = ${userId}::uuid`);
}

/**
 * Revokes a token (idempotent: an already revoked token keeps its first revocation time) and
 * audits the revocation when it happened now. Undefined when the institution has no such token.
 */
export async function revokeApiToken(
  db: Database,
  input: TokenRevokeInput,
  actor: { institutionId: string; actorUserId: string | null; actorTokenId: string | null },
): Promise<ApiTokenView | undefined> {
  const revoked = await queryOne<{ id: string }>(
    db,
    sql`update api_tokens set revoked_at = now()
        where id = ${input.tokenId}::uuid and institution_id = ${actor.institutionId}::uuid and revoked_at is null
        returning id`,
  );
  if (revoked) {
    await recordAudit(db, {
      ...actor,
      action: "api_token.revoke",
      targetType: "api_token",
      targetId: revoked.id,
    });
  }
  return getApiToken(db, input.tokenId, actor);
}
