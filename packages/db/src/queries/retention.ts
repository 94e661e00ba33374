import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import { withTenant } from "../tenant.ts";
import { recordAudit } from "./audit.ts";
import { dropProgressHistoryPartitionsBefore } from "./history.ts";
import { type AnonymisedCounts, anonymiseUsers, ERASED_EMAIL_DOMAIN } from "./privacy.ts";

// Retention (issue 6): each institution keeps progress history N months and anonymises
// accounts inactive for M years (schema/retention.ts; no row = the defaults below).
//
// progress_history is partitioned by month on occurred_at and its partitions are shared by all
// institutions, so a partition is dropped (DROP TABLE: no row-by-row delete, no bloat, no vacuum)
// only once it is older than EVERY institution's window: its upper bound <= the earliest cutoff.
// An institution whose window is shorter than the longest one is honoured by deletes of its own
// rows older than its cutoff, which can only lie in the few partitions between the earliest and
// its cutoff (those older are gone): bounded by that span, and by a batch size and a number of
// batches per run so that no run holds long locks (a later run carries on; `complete` says so).
// The same deletes catch rows of the default partition (events outside every monthly range).

export const DEFAULT_RETENTION_POLICY = { progressHistoryMonths: 24, inactiveAccountYears: 5 } as const;

export const retentionPolicyInput = z.strictObject({
  progressHistoryMonths: z
    .number()
    .int("must be a whole number of months")
    .min(1, "must be 1 or more")
    .max(120, "must be at most 120"),
  inactiveAccountYears: z
    .number()
    .int("must be a whole number of years")
    .min(1, "must be 1 or more")
    .max(50, "must be at most 50"),
});
export type RetentionPolicyInput = z.output<typeof retentionPolicyInput>;

export interface RetentionPolicy {
  progressHistoryMonths: number;
  inactiveAccountYears: number;
  /** True when the institution has set none and the defaults apply. */
  isDefault: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export async function getRetentionPolicy(db: Database, scope: { institutionId: string }): Promise<RetentionPolicy> {
  const row = await queryOne<{
    progressHistoryMonths: number;
    inactiveAccountYears: number;
    updatedAt: Date | string;
    updatedBy: string | null;
  }>(
    db,
    sql`select progress_history_months as "progressHistoryMonths", inactive_account_years as "inactiveAccountYears",
               updated_at as "updatedAt", updated_by as "updatedBy"
        from retention_policies where institution_id = ${scope.institutionId}::uuid`,
  );
  if (!row) return { ...DEFAULT_RETENTION_POLICY, isDefault: true, updatedAt: null, updatedBy: null };
  return { ...row, isDefault: false, updatedAt: new Date(row.updatedAt) };
}

/** Sets the policy (upsert) and audits the change with the values before and after. */
export async function setRetentionPolicy(
  db: Database,
  input: RetentionPolicyInput,
  actor: { institutionId: string; actorUserId: string | null; actorTokenId: string | null },
): Promise<RetentionPolicy> {
  const before = await getRetentionPolicy(db, actor);
  await db.execute(
    sql`insert into retention_policies (institution_id, progress_history_months, inactive_account_years, updated_by)
        values (${actor.institutionId}::uuid, ${input.progressHistoryMonths}, ${input.inactiveAccountYears}, ${actor.actorUserId}::uuid)
        on conflict (institution_id) do update
        set progress_history_months = excluded.progress_history_months,
            inactive_account_years = excluded.inactive_account_years,
            updated_by = excluded.updated_by, updated_at = now()`,
  );
  await recordAudit(db, {
    ...actor,
    action: "retention.update",
    targetType: "institution",
    targetId: actor.institutionId,
    details: {
      before: {
        progressHistoryMonths: before.progressHistoryMonths,
        inactiveAccountYears: before.inactiveAccountYears,
      },
      after: input,
    },
  });
  return getRetentionPolicy(db, actor);
}

// Applying -----------------------------------------------------------------------------------

export interface ApplyRetentionOptions {
  now: Date;
  /** Rows per delete statement in the per-institution pass. */
  batchSize?: number;
  /** Delete statements per institution and run. */
  maxBatches?: number;
  /** Accounts anonymised per institution and run. */
  maxAnonymisedPerInstitution?: number;
}

export interface InstitutionRetention {
  institutionId: string;
  historyCutoff: Date;
  historyRowsDeleted: number;
  /** Ids of the accounts anonymised (the caller drops their cache entries). */
  anonymisedUserIds: string[];
  anonymised: AnonymisedCounts | null;
}

export interface RetentionResult {
  now: Date;
  /** Partitions ending at or before this instant were dropped: the earliest institution cutoff. */
  partitionCutoff: Date;
  droppedPartitions: string[];
  historyRowsDeleted: number;
  anonymisedUsers: number;
  /** False when a bound stopped the run before all was done (the next run carries on). */
  complete: boolean;
  institutions: InstitutionRetention[];
}

/**
 * The `retention` job: runs as the owner (across institutions, not in a tenant transaction),
 * except the anonymisation, which runs per institution in its tenant transaction (the same code
 * as privacy.eraseUser). Idempotent; `now` is a parameter so that tests and catch-up runs are
 * deterministic.
 */
export async function applyRetention(db: Database, options: ApplyRetentionOptions): Promise<RetentionResult> {
  const { now } = options;
  if (Number.isNaN(now.getTime())) throw new RangeError("now must be a valid date");
  const batchSize = options.batchSize ?? 10_000;
  const maxBatches = options.maxBatches ?? 50;
  const maxAnonymised = options.maxAnonymisedPerInstitution ?? 1_000;

  // Every institution's cutoffs, computed by PostgreSQL (calendar months and years, in UTC).
  const windows = await queryRows<{
    institutionId: string;
    historyCutoff: Date | string;
    inactiveCutoff: Date | string;
  }>(
    db,
    sql`select i.id as "institutionId",
               ${now}::timestamptz - make_interval(months => coalesce(p.progress_history_months, ${DEFAULT_RETENTION_POLICY.progressHistoryMonths}))
                 as "historyCutoff",
               ${now}::timestamptz - make_interval(years => coalesce(p.inactive_account_years, ${DEFAULT_RETENTION_POLICY.inactiveAccountYears}))
                 as "inactiveCutoff"
        from institutions i left join retention_policies p on p.institution_id = i.id
        order by i.id`,
  );
  const defaultCutoff = await queryOne<{ cutoff: Date | string }>(
    db,
    sql`select ${now}::timestamptz - make_interval(months => ${DEFAULT_RETENTION_POLICY.progressHistoryMonths}) as cutoff`,
  );
  const historyCutoffs = windows.map((w) => new Date(w.historyCutoff).getTime());
  const partitionCutoff = new Date(
    historyCutoffs.length > 0 ? Math.min(...historyCutoffs) : new Date(defaultCutoff?.cutoff ?? now).getTime(),
  );

  const { dropped } = await dropProgressHistoryPartitionsBefore(db, partitionCutoff);

  let complete = true;
  const institutions: InstitutionRetention[] = [];
  for (const window of windows) {
    const historyCutoff = new Date(window.historyCutoff);
    let historyRowsDeleted = 0;
    for (let batch = 0; ; batch += 1) {
      if (batch === maxBatches) {
        complete = false;
        break;
      }
      // By primary key, a batch at a time: a partitioned table has no global ctid to delete by.
      const deleted = await queryOne<{ n: number }>(
        db,
        sql`with doomed as (
              select institution_id, event_id, occurred_at from progress_history
              where institution_id = ${window.institutionId}::uuid and occurred_at < ${historyCutoff}
              limit ${batchSize}
            ), gone as (
              delete from progress_history h using doomed d
              where h.institution_id = d.institution_id and h.event_id = d.event_id and h.occurred_at = d.occurred_at
              returning 1
            )
            select count(*)::int as n from gone`,
      );
      historyRowsDeleted += deleted?.n ?? 0;
      if ((deleted?.n ?? 0) < batchSize) break;
    }

    const inactive = await queryRows<{ id: string }>(
      db,
      sql`select u.id from users u
          where u.institution_id = ${window.institutionId}::uuid
            and u.role <> 'ADMIN'
            and u.email not like ${`%@${ERASED_EMAIL_DOMAIN}`}
            and coalesce(u.last_login_at, u.created_at) < ${new Date(window.inactiveCutoff)}
            and greatest(u.created_at, u.last_login_at,
                         (select max(e.last_access_at) from enrollments e where e.student_id = u.id),
                         (select max(s.last_seen_at) from sessions s where s.user_id = u.id))
                < ${new Date(window.inactiveCutoff)}
          order by u.id
          limit ${maxAnonymised + 1}`,
    );
    if (inactive.length > maxAnonymised) {
      complete = false;
      inactive.pop();
    }
    const anonymisedUserIds = inactive.map((user) => user.id);
    const anonymised =
      anonymisedUserIds.length === 0
        ? null
        : await withTenant(db, window.institutionId, async (tx) => {
            const counts = await anonymiseUsers(tx, window.institutionId, anonymisedUserIds);
            await recordAudit(tx, {
              institutionId: window.institutionId,
              actorUserId: null,
              actorTokenId: null,
              action: "retention.anonymise",
              targetType: "institution",
              targetId: window.institutionId,
              details: { userIds: anonymisedUserIds, ...counts },
            });
            return counts;
          });
    institutions.push({
      institutionId: window.institutionId,
      historyCutoff,
      historyRowsDeleted,
      anonymisedUserIds,
      anonymised,
    });
  }

  return {
    now,
    partitionCutoff,
    droppedPartitions: dropped,
    historyRowsDeleted: institutions.reduce((sum, i) => sum + i.historyRowsDeleted, 0),
    anonymisedUsers: institutions.reduce((sum, i) => sum + (i.anonymised?.users ?? 0), 0),
    complete,
    institutions,
  };
}
