import { type Database, withTenant } from "@coursebase/db";
import { recordAudit } from "@coursebase/db/queries/audit";
import { type ApiTokenRecord, insertApiToken } from "@coursebase/db/queries/auth";
import type { UserRole } from "@coursebase/db/schema";
import { hashSecret, newSecret } from "./secrets.ts";

export interface MintTokenRequest {
  institutionId: string;
  name: string;
  role: UserRole;
  /** Person the token acts as; required for every role but ADMIN. */
  userId?: string | null;
  /** Who asked for it (null: an operator at the shell). */
  createdBy?: { userId: string | null; tokenId: string | null };
  expiresAt?: Date | null;
}

/** Creates an API token and returns its secret: shown once, stored only as a hash. */
export async function mintApiToken(
  db: Database,
  request: MintTokenRequest,
): Promise<{ token: string; record: ApiTokenRecord }> {
  if (request.role !== "ADMIN" && !request.userId) {
    throw new Error(`a ${request.role} token must act as a person of that role (give its user)`);
  }
  const token = newSecret("cbt");
  return withTenant(db, request.institutionId, async (tx) => {
    const record = await insertApiToken(tx, {
      institutionId: request.institutionId,
      name: request.name,
      role: request.role,
      userId: request.userId ?? null,
      tokenHash: hashSecret(token),
      tokenPrefix: token.slice(0, 12),
      createdBy: request.createdBy?.userId ?? null,
      expiresAt: request.expiresAt ?? null,
    });
    await recordAudit(tx, {
      institutionId: request.institutionId,
      actorUserId: request.createdBy?.userId ?? null,
      actorTokenId: request.createdBy?.tokenId ?? null,
      action: "api_token.create",
      targetType: "api_token",
      targetId: record.id,
      details: { name: request.name, role: request.role, userId: request.userId ?? null },
    });
    return { token, record };
  });
}
