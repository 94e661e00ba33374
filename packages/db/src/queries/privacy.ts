import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import type { UserRole } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";

// A person's data export and erasure (issue 6; GDPR articles 15, 17 and 20, FERPA). Both run in
// the administrator's tenant transaction as the application role, so row-level security keeps
// them inside one institution whatever their SQL says.
//
// What erasure keeps and why:
// - Rows that course aggregates are made of (enrollments, lesson_progress, submissions, grades)
//   stay, under the same user id: analytics.course and analytics.summary give the same figures
//   after an erasure. Their free text about the person (lesson_progress.metadata,
//   submissions.content, grades.feedback) is cleared.
// - The user row stays (foreign keys point at it) with every personal field replaced: email
//   `<id>@erased.invalid` (unique, and a reserved domain that reaches nobody), name "Erased user",
//   profile and preferences emptied, department cleared, deactivated, last login forgotten.
// - Removed: password hash, sessions, the progress history (the event log of what they did and
//   when; rollups already made from it stay). API tokens acting as them are revoked.
// - The audit trail is append-only (drizzle/0003) and is NOT rewritten: its entries hold ids and
//   field names, never personal values (recordAudit redacts email-shaped strings as a backstop),
//   so once the user row is anonymised the ids in old entries identify nobody. Keeping who did
//   what, including the erasure itself, is the accountability the law asks the holder to keep.
// - Event ids (progress_event_keys, chosen by the sending integration) are opaque keys; they must
//   not carry personal data (docs: integrations), and are kept so that retries stay idempotent.

export const ERASED_EMAIL_DOMAIN = "erased.invalid";
export const ERASED_NAME = "Erased user";

export const exportUserInput = z.strictObject({ userId: z.guid("must be a uuid") });
export type ExportUserInput = z.output<typeof exportUserInput>;
export const eraseUserInput = z.strictObject({ userId: z.guid("must be a uuid") });
export type EraseUserInput = z.output<typeof eraseUserInput>;

export interface PrivacyActor {
  institutionId: string;
  actorUserId: string | null;
  actorTokenId: string | null;
}

type Row = Record<string, unknown>;

/** Every row about a person, table by table, under the tables' own column names. */
export interface UserExport {
  exportedAt: string;
  user: Row;
  institution: Row;
  department: Row | null;
  enrollments: Row[];
  lessonProgress: Row[];
  progressHistory: Row[];
  submissions: Row[];
  grades: Row[];
  gradesGiven: Row[];
  coursesTaught: Row[];
  courseStaff: Row[];
  sessions: Row[];
  apiTokens: Row[];
  auditEntries: Row[];
}

/**
 * The export, in one statement (one snapshot: no table is read at a different moment than the
 * others). Secrets never leave: sessions and tokens without their hashes, and no password hash
 * (the application role cannot even read it). Audit entries: those the person made, those whose
 * target is the person, and those naming them as `studentId` / `userId` in their details
 * (enrollments, grades, tokens). Audited as `privacy.export`. Undefined when the institution has
 * no such user.
 */
export async function exportUser(
  db: Database,
  input: ExportUserInput,
  actor: PrivacyActor,
): Promise<UserExport | undefined> {
  const userId = input.userId;
  const list = (query: ReturnType<typeof sql>) => sql`coalesce((${query}), '[]'::jsonb)`;
  const row = await queryOne<{ document: UserExport | string }>(
    db,
    sql`select jsonb_build_object(
          'exportedAt', to_jsonb(now()),
          'user', to_jsonb(u),
          'institution', (select jsonb_build_object('id', i.id, 'name', i.name, 'domain', i.domain)
                            from institutions i where i.id = u.institution_id),
          'department', (select to_jsonb(d) from departments d where d.id = u.department_id),
          'enrollments', ${list(sql`select jsonb_agg(to_jsonb(e) order by e.enrolled_at, e.id) from enrollments e where e.student_id = u.id`)},
          'lessonProgress', ${list(sql`select jsonb_agg(to_jsonb(p) order by p.created_at, p.id) from lesson_progress p where p.student_id = u.id`)},
          'progressHistory', ${list(
            sql`select jsonb_agg(to_jsonb(h) order by h.occurred_at, h.event_id) from progress_history h
                where h.institution_id = u.institution_id and h.student_id = u.id
                  and h.course_id in (select e.course_id from enrollments e where e.student_id = u.id)`,
          )},
          'submissions', ${list(sql`select jsonb_agg(to_jsonb(s) order by s.submitted_at, s.id) from submissions s where s.student_id = u.id`)},
          'grades', ${list(
            sql`select jsonb_agg(to_jsonb(g) order by g.graded_at, g.id) from grades g
                where g.submission_id in (select s.id from submissions s where s.student_id = u.id)`,
          )},
          'gradesGiven', ${list(sql`select jsonb_agg(to_jsonb(g) order by g.graded_at, g.id) from grades g where g.grader_id = u.id`)},
          'coursesTaught', ${list(
            sql`select jsonb_agg(jsonb_build_object('id', c.id, 'title', c.title, 'status', c.status) order by c.created_at, c.id)
                from courses c where c.instructor_id = u.id`,
          )},
          'courseStaff', ${list(sql`select jsonb_agg(to_jsonb(cs) order by cs.created_at) from course_staff cs where cs.user_id = u.id`)},
          'sessions', ${list(
            sql`select jsonb_agg(jsonb_build_object('id', s.id, 'createdAt', s.created_at, 'expiresAt', s.expires_at,
                                                    'lastSeenAt', s.last_seen_at, 'revokedAt', s.revoked_at) order by s.created_at)
                from sessions s where s.user_id = u.id`,
          )},
          'apiTokens', ${list(
            sql`select jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name, 'role', t.role, 'tokenPrefix', t.token_prefix,
                                                    'actsAsThem', t.user_id = u.id, 'createdByThem', t.created_by = u.id,
                                                    'createdAt', t.created_at, 'expiresAt', t.expires_at,
                                                    'lastUsedAt', t.last_used_at, 'revokedAt', t.revoked_at) order by t.created_at)
                from api_tokens t where t.user_id = u.id or t.created_by = u.id`,
          )},
          'auditEntries', ${list(
            sql`select jsonb_agg(to_jsonb(a) order by a.at, a.id) from audit_log a
                where a.institution_id = u.institution_id
                  and (a.actor_user_id = u.id or (a.target_type = 'user' and a.target_id = u.id::text)
                       or a.details ->> 'studentId' = u.id::text or a.details ->> 'userId' = u.id::text)`,
          )}
        ) as document
        from users u
        where u.id = ${userId}::uuid and u.institution_id = ${actor.institutionId}::uuid`,
  );
  if (!row) return undefined;
  const document = typeof row.document === "string" ? (JSON.parse(row.document) as UserExport) : row.document;
  await recordAudit(db, { ...actor, action: "privacy.export", targetType: "user", targetId: userId });
  return document;
}

export interface AnonymisedCounts {
  users: number;
  sessionsDeleted: number;
  tokensRevoked: number;
  progressCleared: number;
  submissionsCleared: number;
  feedbackCleared: number;
  credentialsDeleted: number;
  historyDeleted: number;
}

/**
 * Replaces every personal field of these people of the tenant (see the header), in one
 * statement. Set-based so that retention anonymises thousands of inactive accounts at the cost
 * of one. Run inside a tenant transaction (privacy_erase_private_rows refuses otherwise).
 */
export async function anonymiseUsers(
  db: Database,
  institutionId: string,
  userIds: readonly string[],
): Promise<AnonymisedCounts> {
  const empty: AnonymisedCounts = {
    users: 0,
    sessionsDeleted: 0,
    tokensRevoked: 0,
    progressCleared: 0,
    submissionsCleared: 0,
    feedbackCleared: 0,
    credentialsDeleted: 0,
    historyDeleted: 0,
  };
  if (userIds.length === 0) return empty;
  // One array parameter (ids are uuids validated upstream), not one parameter per id.
  const ids = `{${userIds.join(",")}}`;
  const row = await queryOne<AnonymisedCounts>(
    db,
    sql`with targets as (
          select id from users where id = any(${ids}::uuid[]) and institution_id = ${institutionId}::uuid
        ),
        person as (
          update users
          set email = id::text || ${`@${ERASED_EMAIL_DOMAIN}`}, name = ${ERASED_NAME}, profile_data = '{}'::jsonb,
              preferences = '{}'::jsonb, department_id = null, is_active = false, last_login_at = null, updated_at = now()
          where id in (select id from targets)
          returning id
        ),
        ended_sessions as (delete from sessions where user_id in (select id from targets) returning 1),
        revoked_tokens as (
          update api_tokens set revoked_at = coalesce(revoked_at, now()), name = 'revoked: the person it acted as was erased'
          where user_id in (select id from targets)
          returning 1
        ),
        progress as (
          update lesson_progress set metadata = '{}'::jsonb
          where student_id in (select id from targets) and metadata <> '{}'::jsonb
          returning 1
        ),
        work as (
          update submissions set content = '[erased]'
          where student_id in (select id from targets) and content <> '[erased]'
          returning 1
        ),
        feedback as (
          update grades set feedback = null
          where feedback is not null
            and submission_id in (select s.id from submissions s where s.student_id in (select id from targets))
          returning 1
        ),
        private_rows as (select * from privacy_erase_private_rows(array(select id from targets)))
        select (select count(*) from person)::int as users,
               (select count(*) from ended_sessions)::int as "sessionsDeleted",
               (select count(*) from revoked_tokens)::int as "tokensRevoked",
               (select count(*) from progress)::int as "progressCleared",
               (select count(*) from work)::int as "submissionsCleared",
               (select count(*) from feedback)::int as "feedbackCleared",
               (select credentials_deleted from private_rows)::int as "credentialsDeleted",
               (select history_deleted from private_rows)::int as "historyDeleted"`,
  );
  return row ?? empty;
}

export interface EraseResult extends AnonymisedCounts {
  userId: string;
  role: UserRole;
  /** Courses the person is enrolled in or teaches: their cached views are to be dropped. */
  courseIds: string[];
}

/** Why an erasure was refused (the router's BAD_REQUEST). */
export class ErasureRefused extends Error {}

/**
 * Erases a person of the tenant (see the header) and audits it as `privacy.erase`, with the
 * counts only. Idempotent: erasing again finds nothing left to clear. Undefined when the
 * institution has no such user.
 */
export async function eraseUser(
  db: Database,
  input: EraseUserInput,
  actor: PrivacyActor,
): Promise<EraseResult | undefined> {
  if (actor.actorUserId === input.userId) {
    throw new ErasureRefused("userId: an administrator cannot erase their own account");
  }
  const subject = await queryOne<{ id: string; role: UserRole; courseIds: string[] | null }>(
    db,
    sql`select u.id, u.role,
               array(select e.course_id from enrollments e where e.student_id = u.id
                     union select c.id from courses c where c.instructor_id = u.id
                     union select cs.course_id from course_staff cs where cs.user_id = u.id)::text[] as "courseIds"
        from users u where u.id = ${input.userId}::uuid and u.institution_id = ${actor.institutionId}::uuid
        for update of u`,
  );
  if (!subject) return undefined;
  const counts = await anonymiseUsers(db, actor.institutionId, [subject.id]);
  await recordAudit(db, {
    ...actor,
    action: "privacy.erase",
    targetType: "user",
    targetId: subject.id,
    details: { ...counts },
  });
  return { userId: subject.id, role: subject.role, courseIds: subject.courseIds ?? [], ...counts };
}
