import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { recordAudit } from "./audit.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";
import { type Actor, auditActor, notFound, Refusal, refuseViolations } from "./refusals.ts";

const departmentName = z
  .string()
  .trim()
  .min(2, "must be at least 2 characters")
  .max(150, "must be at most 150 characters");
/** Short code shown beside course titles ("MATH", "CS-EE"); stored upper-case, unique per institution. */
const departmentCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,19}$/, "must be 1-20 letters, digits, - or _ (e.g. MATH)");
const departmentId = z.guid("must be a UUID");

export const createDepartmentInput = z.strictObject({ name: departmentName, code: departmentCode });
export const renameDepartmentInput = z
  .strictObject({ departmentId, name: departmentName.optional(), code: departmentCode.optional() })
  .refine((input) => input.name !== undefined || input.code !== undefined, { message: "give a name or a code" });
export const removeDepartmentInput = z.strictObject({ departmentId });
export const listDepartmentsInput = z.strictObject({ ...paginationFields });

export interface DepartmentRecord {
  id: string;
  name: string;
  code: string;
  /** People and courses attached to it. */
  userCount: number;
  courseCount: number;
}

const codeTaken = () => new Refusal("CONFLICT", "code: already in use in this institution");

const selectDepartment = (where: ReturnType<typeof sql>) => sql`
  select d.id, d.name, d.code,
         (select count(*)::int from users u where u.department_id = d.id) as "userCount",
         (select count(*)::int from courses c where c.department_id = d.id) as "courseCount"
  from departments d where ${where}`;

export async function getDepartment(db: Database, id: string): Promise<DepartmentRecord> {
  const row = await queryOne<DepartmentRecord>(db, selectDepartment(sql`d.id = ${id}`));
  if (!row) throw notFound("departmentId", "department");
  return row;
}

/** The institution's departments by name (a few dozen: offset paging with a total is right here). */
export async function listDepartments(
  db: Database,
  institutionId: string,
  input: z.output<typeof listDepartmentsInput>,
): Promise<{ departments: DepartmentRecord[]; pagination: Pagination }> {
  const row = await queryOne<{ total: number; departments: DepartmentRecord[] }>(
    db,
    sql`select (select count(*)::int from departments where institution_id = ${institutionId}) as total,
               coalesce((select json_agg(p order by p.name, p.id) from (
                 ${selectDepartment(sql`d.institution_id = ${institutionId}`)}
                 order by d.name, d.id limit ${input.limit} offset ${pageOffset(input)}) p), '[]'::json) as departments`,
  );
  return { departments: row?.departments ?? [], pagination: paginate(input, row?.total ?? 0) };
}

export async function createDepartment(
  db: Database,
  actor: Actor,
  input: z.output<typeof createDepartmentInput>,
): Promise<DepartmentRecord> {
  const created = await refuseViolations(
    () =>
      queryOne<{ id: string }>(
        db,
        sql`insert into departments (institution_id, name, code)
            values (${actor.institutionId}, ${input.name}, ${input.code}) returning id`,
      ),
    { departments_institution_code_key: codeTaken },
  );
  if (!created) throw new Error("insert returned no row");
  await recordAudit(db, {
    ...auditActor(actor),
    action: "department.create",
    targetType: "department",
    targetId: created.id,
    details: input,
  });
  return getDepartment(db, created.id);
}

export async function renameDepartment(
  db: Database,
  actor: Actor,
  input: z.output<typeof renameDepartmentInput>,
): Promise<DepartmentRecord> {
  const updated = await refuseViolations(
    () =>
      queryOne<{ id: string }>(
        db,
        sql`update departments
            set name = coalesce(${input.name ?? null}, name), code = coalesce(${input.code ?? null}, code), updated_at = now()
            where id = ${input.departmentId} returning id`,
      ),
    { departments_institution_code_key: codeTaken },
  );
  if (!updated) throw notFound("departmentId", "department");
  await recordAudit(db, {
    ...auditActor(actor),
    action: "department.rename",
    targetType: "department",
    targetId: input.departmentId,
    details: { name: input.name, code: input.code },
  });
  return getDepartment(db, input.departmentId);
}

/**
 * Removes a department. Its people and courses keep working: the foreign keys set their
 * department_id to null (ON DELETE SET NULL); how many were detached is returned and audited.
 */
export async function removeDepartment(
  db: Database,
  actor: Actor,
  input: z.output<typeof removeDepartmentInput>,
): Promise<{ removed: true; detachedUsers: number; detachedCourses: number }> {
  const department = await getDepartment(db, input.departmentId);
  await db.execute(sql`delete from departments where id = ${input.departmentId}`);
  await recordAudit(db, {
    ...auditActor(actor),
    action: "department.remove",
    targetType: "department",
    targetId: input.departmentId,
    details: {
      name: department.name,
      code: department.code,
      detachedUsers: department.userCount,
      detachedCourses: department.courseCount,
    },
  });
  return { removed: true, detachedUsers: department.userCount, detachedCourses: department.courseCount };
}

/** Refuses a department id that is not one of the caller's institution (RLS hides the others). */
export async function assertDepartment(db: Database, id: string, field = "departmentId"): Promise<void> {
  const row = await queryOne<{ id: string }>(db, sql`select id from departments where id = ${id}`);
  if (!row) throw new Refusal("BAD_REQUEST", `${field}: no such department`);
}
