import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { recordAudit } from "./audit.ts";
import type { Editor } from "./courses.ts";
import { auditActor, Refusal } from "./refusals.ts";

// "courseId requires prerequisiteId": edges of a directed graph per institution, kept acyclic.

export const prerequisiteInput = z
  .strictObject({ courseId: z.guid("must be a UUID"), prerequisiteId: z.guid("must be a UUID") })
  .refine((i) => i.courseId !== i.prerequisiteId, {
    message: "a course cannot be its own prerequisite",
    path: ["prerequisiteId"],
  });
export type PrerequisiteInput = z.output<typeof prerequisiteInput>;

/**
 * Serialises prerequisite writes of one institution: the cycle check reads the whole graph, so
 * two concurrent adds (A requires B, B requires A) would each find no cycle and together make
 * one. A transaction-scoped advisory lock keyed on the institution queues them; the second then
 * sees the first's edge. (Row locks cannot do this: the conflicting rows do not exist yet.)
 */
async function lockGraph(db: Database, institutionId: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('course_prerequisites'), hashtext(${institutionId}))`);
}

async function courseTitles(db: Database, input: PrerequisiteInput): Promise<{ course: string; prerequisite: string }> {
  const row = await queryOne<{ course: string | null; prerequisite: string | null }>(
    db,
    sql`select (select title from courses where id = ${input.courseId}) as course,
               (select title from courses where id = ${input.prerequisiteId}) as prerequisite`,
  );
  // Another institution's course is invisible here (row-level security): "no such course".
  if (!row?.course) throw new Refusal("NOT_FOUND", "courseId: no such course");
  if (!row.prerequisite) throw new Refusal("NOT_FOUND", "prerequisiteId: no such course");
  return { course: row.course, prerequisite: row.prerequisite };
}

/**
 * Adds "courseId requires prerequisiteId". Refused when the prerequisite already requires the
 * course, directly or through others: a recursive walk from the prerequisite along its own
 * prerequisites; the path found names the cycle. Idempotent (`added: false` when present).
 */
export async function addPrerequisite(
  db: Database,
  editor: Editor,
  input: PrerequisiteInput,
): Promise<{ added: boolean; courseId: string; prerequisiteId: string }> {
  await lockGraph(db, editor.institutionId);
  const titles = await courseTitles(db, input);
  const cycle = await queryOne<{ titles: string[] }>(
    db,
    sql`with recursive walk (id, path) as (
          select ${input.prerequisiteId}::uuid, array[${input.prerequisiteId}::uuid]
          union all
          select cp.prerequisite_id, w.path || cp.prerequisite_id
          from walk w join course_prerequisites cp on cp.course_id = w.id
          where cp.prerequisite_id <> all (w.path)
        ),
        found as (select path from walk where id = ${input.courseId} limit 1)
        select array_agg(c.title order by u.n) as titles
        from found cross join unnest(found.path) with ordinality as u(id, n) join courses c on c.id = u.id
        having count(*) > 0`,
  );
  if (cycle?.titles?.length) {
    const chain = [titles.course, ...cycle.titles].map((t) => `"${t}"`).join(" requires ");
    throw new Refusal("BAD_REQUEST", `prerequisiteId: would create a cycle: ${chain}`);
  }
  const inserted = await queryOne<{ courseId: string }>(
    db,
    sql`insert into course_prerequisites (course_id, prerequisite_id, institution_id)
        values (${input.courseId}, ${input.prerequisiteId}, ${editor.institutionId})
        on conflict do nothing
        returning course_id as "courseId"`,
  );
  if (inserted) {
    await recordAudit(db, {
      ...auditActor(editor),
      action: "prerequisite.add",
      targetType: "course",
      targetId: input.courseId,
      details: { prerequisiteId: input.prerequisiteId },
    });
  }
  return { added: inserted !== undefined, ...input };
}

/** Removes the edge; idempotent (`removed: false` when it was not there). */
export async function removePrerequisite(
  db: Database,
  editor: Editor,
  input: PrerequisiteInput,
): Promise<{ removed: boolean; courseId: string; prerequisiteId: string }> {
  await lockGraph(db, editor.institutionId);
  await courseTitles(db, input);
  const deleted = await queryOne<{ courseId: string }>(
    db,
    sql`delete from course_prerequisites where course_id = ${input.courseId} and prerequisite_id = ${input.prerequisiteId}
        returning course_id as "courseId"`,
  );
  if (deleted) {
    await recordAudit(db, {
      ...auditActor(editor),
      action: "prerequisite.remove",
      targetType: "course",
      targetId: input.courseId,
      details: { prerequisiteId: input.prerequisiteId },
    });
  }
  return { removed: deleted !== undefined, ...input };
}
