import { randomBytes } from "node:crypto";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import {
  type CourseCategory,
  type CourseStatus,
  courseCategory,
  courseStatus,
  type DifficultyLevel,
  difficultyLevel,
  type LessonType,
  type UserRole,
} from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { assertDepartment } from "./departments.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";
import { type Actor, auditActor, notFound, Refusal, refuseViolations } from "./refusals.ts";
import { MAX_QUERY_LENGTH, prefixTsquery } from "./search.ts";

// Courses: create, edit, read with their content, and the status workflow
// DRAFT -> PUBLISHED -> ARCHIVED. Module and lesson writes are in content.ts; prerequisites in
// prerequisites.ts. All of them lock the course row first (lockCourseForEdit), so that a
// course's content and status change one writer at a time.

/**
 * Who edits: administrators edit any course of their institution; instructors the courses they
 * teach (lead instructor, or co-instructor listed in course_staff), and only their content
 * (not slug, price, instructor, department, status or prerequisites).
 */
export interface Editor extends Actor {
  role: UserRole;
}

const courseId = z.guid("must be a UUID");
const title = z.string().trim().min(3, "must be at least 3 characters").max(200, "must be at most 200 characters");
const description = z.string().trim().min(1, "is required").max(20_000, "must be at most 20000 characters");
const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be lower-case words joined by hyphens (e.g. calculus-i)")
  .min(3, "must be at least 3 characters")
  .max(150, "must be at most 150 characters");
const price = z
  .number()
  .min(0, "must be 0 or more")
  .max(99_999_999.99, "must be at most 99999999.99")
  .refine((value) => Math.abs(Math.round(value * 100) - value * 100) < 1e-6, {
    message: "must have at most 2 decimals",
  });
const estimatedHours = z
  .number()
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(10_000, "must be at most 10000");
const jsonObject = z
  .record(z.string().max(64), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 16_384, { message: "must be at most 16 KB of JSON" });

export const createCourseInput = z.strictObject({
  title,
  description,
  /** Unique across the platform; made from the title when absent. */
  slug: slug.optional(),
  category: z.enum(courseCategory.enumValues),
  difficulty: z.enum(difficultyLevel.enumValues),
  price,
  estimatedHours,
  instructorId: z.guid("must be a UUID"),
  departmentId: z.guid("must be a UUID").nullish(),
  metadata: jsonObject.optional(),
});
export type CreateCourseInput = z.output<typeof createCourseInput>;

/** Fields only an administrator may change. */
export const ADMIN_ONLY_COURSE_FIELDS = ["slug", "price", "instructorId", "departmentId"] as const;

export const updateCourseInput = z
  .strictObject({
    courseId,
    title: title.optional(),
    description: description.optional(),
    category: z.enum(courseCategory.enumValues).optional(),
    difficulty: z.enum(difficultyLevel.enumValues).optional(),
    estimatedHours: estimatedHours.optional(),
    metadata: jsonObject.optional(),
    slug: slug.optional(),
    price: price.optional(),
    instructorId: z.guid("must be a UUID").optional(),
    departmentId: z.guid("must be a UUID").nullable().optional(),
  })
  .refine((input) => Object.keys(input).some((key) => key !== "courseId"), {
    message: "give at least one field to change",
  });
export type UpdateCourseInput = z.output<typeof updateCourseInput>;

export const courseIdInput = z.strictObject({ courseId });

export const listCoursesInput = z.strictObject({
  /** Words of the title or description, each a prefix (the full-text rules of search.courses). */
  query: z.string().max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`).optional(),
  status: z.enum(courseStatus.enumValues).optional(),
  category: z.enum(courseCategory.enumValues).optional(),
  difficulty: z.enum(difficultyLevel.enumValues).optional(),
  instructorId: z.guid("must be a UUID").optional(),
  departmentId: z.guid("must be a UUID").optional(),
  ...paginationFields,
});

export interface LessonSummary {
  id: string;
  title: string;
  type: LessonType;
  duration: number;
  orderIndex: number;
  content: Record<string, unknown>;
}

export interface ModuleWithLessons {
  id: string;
  title: string;
  description: string;
  orderIndex: number;
  lessons: LessonSummary[];
}

export interface CourseRecord {
  id: string;
  title: string;
  description: string;
  slug: string;
  category: CourseCategory;
  difficulty: DifficultyLevel;
  status: CourseStatus;
  /** numeric as text: exact. */
  price: string;
  estimatedHours: number;
  instructor: { id: string; name: string };
  departmentId: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
}

export interface CourseListItem extends CourseRecord {
  /** Learners: enrollments of every status but DROPPED. */
  enrollmentCount: number;
}

export interface CourseDetail extends CourseRecord {
  modules: ModuleWithLessons[];
  prerequisites: Array<{ id: string; title: string; slug: string; status: CourseStatus }>;
  lessonCount: number;
}

type Dated<T> = Omit<T, "createdAt" | "updatedAt" | "publishedAt"> & {
  createdAt: string | Date;
  updatedAt: string | Date;
  publishedAt: string | Date | null;
};

function dated<T extends CourseRecord>(row: Dated<T>): T {
  return {
    ...row,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    publishedAt: row.publishedAt === null ? null : new Date(row.publishedAt),
  } as T;
}

const courseColumns = sql`c.id, c.title, c.description, c.slug, c.category, c.difficulty, c.status,
  c.price::text as price, c.estimated_hours as "estimatedHours",
  json_build_object('id', i.id, 'name', i.name) as instructor, c.department_id as "departmentId",
  c.metadata, c.created_at as "createdAt", c.updated_at as "updatedAt", c.published_at as "publishedAt"`;

/** Whether `editor` teaches the course `c` (lead instructor or course staff). */
const teaches = (editor: Editor) =>
  sql`(c.instructor_id = ${editor.userId} or exists (
        select 1 from course_staff s where s.course_id = c.id and s.user_id = ${editor.userId}))`;

function assertMayRead(editor: Editor, row: { teaches: boolean } | undefined): void {
  if (!row) throw notFound("courseId", "course");
  if (editor.role !== "ADMIN" && !row.teaches) {
    throw new Refusal("FORBIDDEN", "courseId: only the course's instructors and administrators may see or edit it");
  }
}

/** A course with its modules and lessons in order, and its prerequisites: one statement. */
export async function getCourse(db: Database, editor: Editor, id: string): Promise<CourseDetail> {
  const row = await queryOne<Dated<CourseDetail> & { teaches: boolean }>(
    db,
    sql`select ${courseColumns}, ${editor.userId ? teaches(editor) : sql`false`} as teaches,
          (select count(*)::int from lessons l where l.course_id = c.id) as "lessonCount",
          coalesce((select json_agg(json_build_object(
              'id', m.id, 'title', m.title, 'description', m.description, 'orderIndex', m.order_index,
              'lessons', coalesce((select json_agg(json_build_object(
                  'id', l.id, 'title', l.title, 'type', l.type, 'duration', l.duration,
                  'orderIndex', l.order_index, 'content', l.content) order by l.order_index)
                from lessons l where l.module_id = m.id), '[]'::json))
              order by m.order_index)
            from modules m where m.course_id = c.id), '[]'::json) as modules,
          coalesce((select json_agg(json_build_object('id', p.id, 'title', p.title, 'slug', p.slug, 'status', p.status)
              order by p.title, p.id)
            from course_prerequisites cp join courses p on p.id = cp.prerequisite_id
            where cp.course_id = c.id), '[]'::json) as prerequisites
        from courses c join users i on i.id = c.instructor_id
        where c.id = ${id}`,
  );
  assertMayRead(editor, row);
  const { teaches: _t, ...course } = row as NonNullable<typeof row>;
  return dated<CourseDetail>(course);
}

/** The institution's courses (an instructor: the ones they teach), newest change first. */
export async function listCourses(
  db: Database,
  editor: Editor,
  input: z.output<typeof listCoursesInput>,
): Promise<{ courses: CourseListItem[]; pagination: Pagination }> {
  const filters: SQL[] = [sql`c.institution_id = ${editor.institutionId}`];
  if (editor.role !== "ADMIN") filters.push(teaches(editor));
  const text = input.query?.trim();
  if (text) {
    const tsquery = prefixTsquery(text);
    // Only punctuation or emoji: nothing can match.
    if (!tsquery) return { courses: [], pagination: paginate(input, 0) };
    filters.push(sql`c.search_vector @@ to_tsquery('english', ${tsquery})`);
  }
  if (input.status) filters.push(sql`c.status = ${input.status}`);
  if (input.category) filters.push(sql`c.category = ${input.category}`);
  if (input.difficulty) filters.push(sql`c.difficulty = ${input.difficulty}`);
  if (input.instructorId) filters.push(sql`c.instructor_id = ${input.instructorId}`);
  if (input.departmentId) filters.push(sql`c.department_id = ${input.departmentId}`);
  const where = sql.join(filters, sql` and `);
  const row = await queryOne<{ total: number; courses: Dated<CourseListItem>[] }>(
    db,
    sql`select (select count(*)::int from courses c where ${where}) as total,
               coalesce((select json_agg(p order by p."updatedAt" desc, p.id) from (
                 select ${courseColumns}, enrolled.count as "enrollmentCount"
                 from courses c join users i on i.id = c.instructor_id
                 -- Learners of the page's courses only, as search.courses counts them (not DROPPED).
                 cross join lateral (
                   select count(*)::int as count from enrollments e where e.course_id = c.id and e.status <> 'DROPPED'
                 ) enrolled
                 where ${where} order by c.updated_at desc, c.id
                 limit ${input.limit} offset ${pageOffset(input)}) p), '[]'::json) as courses`,
  );
  return {
    courses: (row?.courses ?? []).map((course) => dated<CourseListItem>(course)),
    pagination: paginate(input, row?.total ?? 0),
  };
}

export interface LockedCourse {
  id: string;
  title: string;
  status: CourseStatus;
}

/**
 * Locks a course row for a content or status change and checks the editor may make it.
 * FOR NO KEY UPDATE: concurrent editors of the same course queue here (reorders, adds and
 * removes then see each other's committed result), while foreign-key checks of readers and
 * progress writers (FOR KEY SHARE) are not blocked. An ARCHIVED course is read-only.
 */
export async function lockCourseForEdit(
  db: Database,
  editor: Editor,
  id: string,
  options: { allowArchived?: boolean } = {},
): Promise<LockedCourse> {
  const row = await queryOne<LockedCourse & { teaches: boolean }>(
    db,
    sql`select c.id, c.title, c.status, ${editor.userId ? teaches(editor) : sql`false`} as teaches
        from courses c where c.id = ${id} for no key update of c`,
  );
  assertMayRead(editor, row);
  const course = row as NonNullable<typeof row>;
  if (course.status === "ARCHIVED" && !options.allowArchived) {
    throw new Refusal("PRECONDITION_FAILED", "courseId: the course is ARCHIVED; its content can no longer change");
  }
  return { id: course.id, title: course.title, status: course.status };
}

/** Refuses an instructor id that is not an active instructor of the caller's institution. */
async function assertInstructor(db: Database, id: string): Promise<void> {
  const row = await queryOne<{ role: UserRole; isActive: boolean }>(
    db,
    sql`select role, is_active as "isActive" from users where id = ${id}`,
  );
  if (row?.role !== "INSTRUCTOR" || !row.isActive) {
    throw new Refusal("BAD_REQUEST", "instructorId: not an active instructor of this institution");
  }
}

/** "Calculus I: Limits" -> "calculus-i-limits" (ASCII letters and digits only). */
export function slugify(text: string): string {
  const base = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 120)
    .replace(/-+$/g, "");
  return base.length >= 3 ? base : `course-${base}`.replace(/-+$/g, "");
}

export async function createCourse(db: Database, editor: Editor, input: CreateCourseInput): Promise<CourseDetail> {
  await assertInstructor(db, input.instructorId);
  if (input.departmentId) await assertDepartment(db, input.departmentId);
  // Slugs are unique across the platform. A given slug that is taken is refused; a slug made
  // from the title gets a random suffix on a clash. ON CONFLICT DO NOTHING keeps the
  // transaction usable after a clash (a unique violation would abort it).
  const candidates = input.slug
    ? [input.slug]
    : [slugify(input.title), ...[1, 2, 3].map(() => `${slugify(input.title)}-${randomBytes(3).toString("hex")}`)];
  let created: { id: string } | undefined;
  for (const candidate of candidates) {
    created = await queryOne<{ id: string }>(
      db,
      sql`insert into courses (title, description, slug, category, difficulty, price, estimated_hours,
                               institution_id, instructor_id, department_id, metadata)
          values (${input.title}, ${input.description}, ${candidate}, ${input.category}, ${input.difficulty},
                  ${input.price.toFixed(2)}::numeric, ${input.estimatedHours}, ${editor.institutionId}, ${input.instructorId},
                  ${input.departmentId ?? null}, ${JSON.stringify(input.metadata ?? {})}::jsonb)
          on conflict (slug) do nothing
          returning id`,
    );
    if (created) break;
  }
  if (!created) throw new Refusal("CONFLICT", "slug: already in use");
  await recordAudit(db, {
    ...auditActor(editor),
    action: "course.create",
    targetType: "course",
    targetId: created.id,
    details: { title: input.title, instructorId: input.instructorId },
  });
  return getCourse(db, editor, created.id);
}

export async function updateCourse(db: Database, editor: Editor, input: UpdateCourseInput): Promise<CourseDetail> {
  if (editor.role !== "ADMIN") {
    const field = ADMIN_ONLY_COURSE_FIELDS.find((key) => input[key] !== undefined);
    if (field) throw new Refusal("FORBIDDEN", `${field}: only an administrator may change it`);
  }
  await lockCourseForEdit(db, editor, input.courseId);
  if (input.instructorId) await assertInstructor(db, input.instructorId);
  if (input.departmentId) await assertDepartment(db, input.departmentId);
  const sets: SQL[] = [sql`updated_at = now()`];
  if (input.title !== undefined) sets.push(sql`title = ${input.title}`);
  if (input.description !== undefined) sets.push(sql`description = ${input.description}`);
  if (input.category !== undefined) sets.push(sql`category = ${input.category}`);
  if (input.difficulty !== undefined) sets.push(sql`difficulty = ${input.difficulty}`);
  if (input.estimatedHours !== undefined) sets.push(sql`estimated_hours = ${input.estimatedHours}`);
  if (input.metadata !== undefined) sets.push(sql`metadata = ${JSON.stringify(input.metadata)}::jsonb`);
  if (input.price !== undefined) sets.push(sql`price = ${input.price.toFixed(2)}::numeric`);
  if (input.instructorId !== undefined) sets.push(sql`instructor_id = ${input.instructorId}`);
  if (input.departmentId !== undefined) sets.push(sql`department_id = ${input.departmentId}`);
  if (input.slug !== undefined) sets.push(sql`slug = ${input.slug}`);
  // Slugs are unique across the platform: a clash with another institution's course says no more than this.
  await refuseViolations(
    () => db.execute(sql`update courses set ${sql.join(sets, sql`, `)} where id = ${input.courseId}`),
    {
      courses_slug_unique: () => new Refusal("CONFLICT", "slug: already in use"),
    },
  );
  const { courseId: _id, ...changed } = input;
  await recordAudit(db, {
    ...auditActor(editor),
    action: "course.update",
    targetType: "course",
    targetId: input.courseId,
    details: { fields: Object.keys(changed).filter((key) => changed[key as keyof typeof changed] !== undefined) },
  });
  return getCourse(db, editor, input.courseId);
}

/**
 * DRAFT -> PUBLISHED: sets published_at; refused unless the course has at least one lesson.
 * The only transitions are DRAFT -> PUBLISHED and PUBLISHED -> ARCHIVED: a published course has
 * learners and enrollments that a return to DRAFT would strand, and an archived one is closed
 * history (a new edition is a new course).
 */
export async function publishCourse(db: Database, editor: Editor, id: string): Promise<CourseDetail> {
  const course = await lockCourseForEdit(db, editor, id, { allowArchived: true });
  if (course.status !== "DRAFT") {
    throw new Refusal(
      "PRECONDITION_FAILED",
      `courseId: only a DRAFT course can be published; this one is ${course.status} (DRAFT -> PUBLISHED -> ARCHIVED)`,
    );
  }
  const lessons = await queryOne<{ count: number }>(
    db,
    sql`select count(*)::int as count from lessons where course_id = ${id}`,
  );
  if (!lessons?.count) {
    throw new Refusal(
      "PRECONDITION_FAILED",
      "courseId: a course needs at least one lesson to be published; add a lesson first",
    );
  }
  await db.execute(
    sql`update courses set status = 'PUBLISHED', published_at = now(), updated_at = now() where id = ${id}`,
  );
  await recordAudit(db, {
    ...auditActor(editor),
    action: "course.publish",
    targetType: "course",
    targetId: id,
    details: { lessons: lessons.count },
  });
  return getCourse(db, editor, id);
}

/** PUBLISHED -> ARCHIVED (published_at kept: when it was published stays true). */
export async function archiveCourse(db: Database, editor: Editor, id: string): Promise<CourseDetail> {
  const course = await lockCourseForEdit(db, editor, id, { allowArchived: true });
  if (course.status !== "PUBLISHED") {
    throw new Refusal(
      "PRECONDITION_FAILED",
      `courseId: only a PUBLISHED course can be archived; this one is ${course.status} (DRAFT -> PUBLISHED -> ARCHIVED)`,
    );
  }
  await db.execute(sql`update courses set status = 'ARCHIVED', updated_at = now() where id = ${id}`);
  await recordAudit(db, { ...auditActor(editor), action: "course.archive", targetType: "course", targetId: id });
  return getCourse(db, editor, id);
}
