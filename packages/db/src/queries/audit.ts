import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";

export interface AuditEntry {
  institutionId: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/** Appends to the audit trail; call it inside the transaction of the write it records. */
export async function recordAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.execute(
    sql`insert into audit_log (institution_id, actor_user_id, actor_token_id, action, target_type, target_id, details)
        values (${entry.institutionId}, ${entry.actorUserId}, ${entry.actorTokenId}, ${entry.action},
                ${entry.targetType}, ${entry.targetId}, ${JSON.stringify(entry.details ?? {})}::jsonb)`,
  );
}
