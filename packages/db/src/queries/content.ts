import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import type { LessonType } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { type Editor, type LockedCourse, lockCourseForEdit } from "./courses.ts";
import { auditActor, notFound, Refusal } from "./refusals.ts";

// Modules and lessons: add, edit, remove, reorder. order_index stays unique (the constraints
// modules_course_id_order_index_key, lessons_module_id_order_index_key) and gapless (0..n-1)
// within its parent. Every write first locks the course row (lockCourseForEdit), so that two
// writers of one course queue and the second sees the first's committed order.

// --- Lesson content, validated per type -------------------------------------------------------

/** http(s) URLs only: media lives on a video platform or CDN, never in the database (no data: URLs). */
const webUrl = z
  .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
  .max(2_048, "must be at most 2048 characters");
const boundedJson = (limit: number) =>
  z.record(z.string().max(64), z.unknown()).refine((value) => JSON.stringify(value).length <= limit, {
    message: `must be at most ${limit / 1024} KB of JSON`,
  });

const quizQuestion = z
  .strictObject({
    prompt: z.string().trim().min(1, "is required").max(2_000, "must be at most 2000 characters"),
    options: z
      .array(z.string().trim().min(1, "must not be empty").max(500, "must be at most 500 characters"))
      .min(2, "needs at least 2 options")
      .max(10, "must have at most 10 options"),
    /** Index of the correct option in `options`. */
    answer: z.number().int("must be a whole number").min(0, "must be an option's index"),
    explanation: z.string().max(2_000, "must be at most 2000 characters").optional(),
    points: z.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(1),
  })
  .refine((q) => q.answer < q.options.length, { message: "must be the index of one of the options", path: ["answer"] })
  .refine((q) => new Set(q.options).size === q.options.length, { message: "must be distinct", path: ["options"] });

/** A lesson's content by its type: the `type` key picks the shape (and sets the lesson's type). */
export const lessonContent = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("VIDEO"),
    url: webUrl,
    durationSeconds: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(86_400, "must be at most 86400 (a day)"),
    captionsUrl: webUrl.optional(),
    thumbnailUrl: webUrl.optional(),
  }),
  z.strictObject({
    type: z.literal("TEXT"),
    body: z.string().trim().min(1, "is required").max(100_000, "must be at most 100000 characters"),
    format: z.enum(["markdown", "html", "plain"]).default("markdown"),
  }),
  z.strictObject({
    type: z.literal("QUIZ"),
    questions: z.array(quizQuestion).min(1, "needs at least one question").max(200, "must have at most 200 questions"),
    passingScore: z.number().min(0, "must be 0 to 100").max(100, "must be 0 to 100").optional(),
    shuffle: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal("ASSIGNMENT"),
    instructions: z.string().trim().min(1, "is required").max(20_000, "must be at most 20000 characters"),
    maxPoints: z.number().positive("must be more than 0").max(1_000, "must be at most 1000").optional(),
    submissionType: z.enum(["TEXT", "FILE", "URL"]).default("TEXT"),
  }),
  z.strictObject({
    type: z.literal("INTERACTIVE"),
    url: webUrl,
    config: boundedJson(16_384).optional(),
  }),
]);
export type LessonContent = z.output<typeof lessonContent>;

const id = z.guid("must be a UUID");
const title = z.string().trim().min(1, "is required").max(150, "must be at most 150 characters");
/** Minutes a learner spends on the lesson. */
const duration = z
  .number()
  .int("must be a whole number")
  .min(0, "must be 0 or more")
  .max(1_440, "must be at most 1440 (a day)");
/** 0-based place among the parent's children; absent = at the end. */
const position = z.number().int("must be a whole number").min(0, "must be 0 or more");
const distinctIds = (field: string) =>
  z
    .array(id)
    .min(1, "must not be empty")
    .max(1_000, "must have at most 1000 entries")
    .refine((ids) => new Set(ids).size === ids.length, { message: `must not repeat an id (${field})` });

export const addModuleInput = z.strictObject({
  courseId: id,
  title,
  description: z.string().trim().max(5_000, "must be at most 5000 characters").default(""),
  position: position.optional(),
});
export const updateModuleInput = z
  .strictObject({
    moduleId: id,
    title: title.optional(),
    description: z.string().trim().max(5_000, "must be at most 5000 characters").optional(),
  })
  .refine((i) => i.title !== undefined || i.description !== undefined, { message: "give a title or a description" });
export const moduleIdInput = z.strictObject({ moduleId: id });
export const reorderModulesInput = z.strictObject({ courseId: id, moduleIds: distinctIds("moduleIds") });

export const addLessonInput = z.strictObject({
  moduleId: id,
  title,
  duration,
  content: lessonContent,
  position: position.optional(),
});
export const updateLessonInput = z
  .strictObject({
    lessonId: id,
    title: title.optional(),
    duration: duration.optional(),
    content: lessonContent.optional(),
  })
  .refine((i) => i.title !== undefined || i.duration !== undefined || i.content !== undefined, {
    message: "give a title, a duration or content",
  });
export const lessonIdInput = z.strictObject({ lessonId: id });
export const reorderLessonsInput = z.strictObject({ moduleId: id, lessonIds: distinctIds("lessonIds") });
/** Moves a lesson to another module of the same course (or another place in its own). */
export const moveLessonInput = z.strictObject({ lessonId: id, moduleId: id, position: position.optional() });

export interface ModuleRecord {
  id: string;
  courseId: string;
  title: string;
  description: string;
  orderIndex: number;
}

export interface LessonRecord {
  id: string;
  moduleId: string;
  courseId: string;
  title: string;
  type: LessonType;
  duration: number;
  orderIndex: number;
  content: Record<string, unknown>;
}

// --- Ordering ----------------------------------------------------------------------------------

interface Siblings {
  table: SQL;
  parent: SQL;
}
// Constants, never input: safe as raw SQL.
const MODULES: Siblings = { table: sql.raw("modules"), parent: sql.raw("course_id") };
const LESSONS: Siblings = { table: sql.raw("lessons"), parent: sql.raw("module_id") };

/**
 * Above any real index: the first phase parks every row here, so the second can write the final
 * indexes without meeting an old one. (The unique constraints are not deferrable and are checked
 * row by row, so a one-statement permutation can collide with itself midway; the CHECK
 * `order_index >= 0` rules out the usual negative parking.)
 */
const PARKING_OFFSET = 1_000_000;

async function childIds(db: Database, kind: Siblings, parentId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select id from ${kind.table} where ${kind.parent} = ${parentId} order by order_index`,
  );
  return rows.map((row) => row.id);
}

/** Renumbers the parent's children 0..n-1 in the given order (two statements, under the course lock). */
async function applyOrder(db: Database, kind: Siblings, parentId: string, orderedIds: string[]): Promise<void> {
  await db.execute(
    sql`update ${kind.table} set order_index = order_index + ${PARKING_OFFSET} where ${kind.parent} = ${parentId}`,
  );
  await db.execute(
    sql`update ${kind.table} t set order_index = (v.n - 1)::int
        from jsonb_array_elements_text(${JSON.stringify(orderedIds)}::jsonb) with ordinality as v(id, n)
        where t.id = v.id::uuid and t.${kind.parent} = ${parentId}`,
  );
}

/** `ids` with `moved` taken out and put back at `position` (clamped to the end). */
function placed(ids: string[], moved: string, position: number | undefined): string[] {
  const rest = ids.filter((value) => value !== moved);
  const at = Math.min(position ?? rest.length, rest.length);
  return [...rest.slice(0, at), moved, ...rest.slice(at)];
}

/** Refuses a reorder that is not a permutation of the current children (e.g. one made before a concurrent add). */
function assertPermutation(field: string, what: string, current: string[], given: string[]): void {
  const known = new Set(current);
  const missing = current.filter((value) => !given.includes(value));
  const unknown = given.filter((value) => !known.has(value));
  if (missing.length || unknown.length) {
    // Unknown ids are counted, not echoed: they may be anything, another institution's included.
    const parts = [
      missing.length ? `missing ${missing.join(", ")}` : "",
      unknown.length ? `${unknown.length} not in it` : "",
    ];
    throw new Refusal(
      "BAD_REQUEST",
      `${field}: must list each of the ${current.length} ${what} exactly once (${parts.filter(Boolean).join("; ")})`,
    );
  }
}

// --- Lookups -----------------------------------------------------------------------------------

async function moduleCourse(db: Database, moduleId: string, field = "moduleId"): Promise<string> {
  const row = await queryOne<{ courseId: string }>(
    db,
    sql`select course_id as "courseId" from modules where id = ${moduleId}`,
  );
  if (!row) throw notFound(field, "module");
  return row.courseId;
}

async function lessonCourse(db: Database, lessonId: string): Promise<{ courseId: string; moduleId: string }> {
  const row = await queryOne<{ courseId: string; moduleId: string }>(
    db,
    sql`select course_id as "courseId", module_id as "moduleId" from lessons where id = ${lessonId}`,
  );
  if (!row) throw notFound("lessonId", "lesson");
  return row;
}

/** Locks the module's course, then re-reads the module (it may have moved or gone while we waited). */
async function lockModule(db: Database, editor: Editor, moduleId: string, field = "moduleId"): Promise<LockedCourse> {
  const course = await lockCourseForEdit(db, editor, await moduleCourse(db, moduleId, field));
  if ((await moduleCourse(db, moduleId, field)) !== course.id) throw notFound(field, "module");
  return course;
}

async function lockLesson(
  db: Database,
  editor: Editor,
  lessonId: string,
): Promise<{ course: LockedCourse; moduleId: string }> {
  const course = await lockCourseForEdit(db, editor, (await lessonCourse(db, lessonId)).courseId);
  const lesson = await lessonCourse(db, lessonId);
  if (lesson.courseId !== course.id) throw notFound("lessonId", "lesson");
  return { course, moduleId: lesson.moduleId };
}

const moduleColumns = sql`id, course_id as "courseId", title, description, order_index as "orderIndex"`;
const lessonColumns = sql`id, module_id as "moduleId", course_id as "courseId", title, type, duration,
  order_index as "orderIndex", content`;

async function getModule(db: Database, moduleId: string): Promise<ModuleRecord> {
  const row = await queryOne<ModuleRecord>(db, sql`select ${moduleColumns} from modules where id = ${moduleId}`);
  if (!row) throw notFound("moduleId", "module");
  return row;
}

async function getLesson(db: Database, lessonId: string): Promise<LessonRecord> {
  const row = await queryOne<LessonRecord>(db, sql`select ${lessonColumns} from lessons where id = ${lessonId}`);
  if (!row) throw notFound("lessonId", "lesson");
  return row;
}

const audit = (db: Database, editor: Editor, action: string, targetType: string, targetId: string, details = {}) =>
  recordAudit(db, { ...auditActor(editor), action, targetType, targetId, details });

// --- Modules -----------------------------------------------------------------------------------

export async function addModule(
  db: Database,
  editor: Editor,
  input: z.output<typeof addModuleInput>,
): Promise<ModuleRecord> {
  const course = await lockCourseForEdit(db, editor, input.courseId);
  const siblings = await childIds(db, MODULES, course.id);
  const created = await queryOne<{ id: string }>(
    db,
    sql`insert into modules (title, description, order_index, course_id, institution_id)
        values (${input.title}, ${input.description}, ${siblings.length}, ${course.id}, ${editor.institutionId})
        returning id`,
  );
  if (!created) throw new Error("insert returned no row");
  if (input.position !== undefined && input.position < siblings.length) {
    await applyOrder(db, MODULES, course.id, placed([...siblings, created.id], created.id, input.position));
  }
  await audit(db, editor, "module.add", "module", created.id, { courseId: course.id, title: input.title });
  return getModule(db, created.id);
}

export async function updateModule(
  db: Database,
  editor: Editor,
  input: z.output<typeof updateModuleInput>,
): Promise<ModuleRecord> {
  await lockModule(db, editor, input.moduleId);
  await db.execute(
    sql`update modules set title = coalesce(${input.title ?? null}, title),
          description = coalesce(${input.description ?? null}, description), updated_at = now()
        where id = ${input.moduleId}`,
  );
  await audit(db, editor, "module.update", "module", input.moduleId, { title: input.title });
  return getModule(db, input.moduleId);
}

/**
 * Refuses to remove lessons learners have progress on (their history would go, and the
 * foreign key from lesson_progress refuses anyway), or the last lessons of a published course.
 */
async function assertRemovable(
  db: Database,
  course: LockedCourse,
  scope: SQL,
  field: string,
  what: string,
): Promise<void> {
  const row = await queryOne<{ removed: number; remaining: number; learners: number }>(
    db,
    sql`select (count(*) filter (where ${scope}))::int as removed,
               (count(*) filter (where not (${scope})))::int as remaining,
               (select count(distinct lp.student_id)::int from lesson_progress lp
                 where lp.lesson_id in (select l.id from lessons l where l.course_id = ${course.id} and ${scope})) as learners
        from lessons l where l.course_id = ${course.id}`,
  );
  if (row && row.learners > 0) {
    throw new Refusal(
      "PRECONDITION_FAILED",
      `${field}: ${row.learners} learner(s) have progress on ${what}; it cannot be removed (archive the course instead)`,
    );
  }
  if (course.status === "PUBLISHED" && row && row.removed > 0 && row.remaining === 0) {
    throw new Refusal("PRECONDITION_FAILED", `${field}: a published course must keep at least one lesson`);
  }
}

export async function removeModule(
  db: Database,
  editor: Editor,
  input: z.output<typeof moduleIdInput>,
): Promise<{ removed: true; removedLessons: number }> {
  const course = await lockModule(db, editor, input.moduleId);
  await assertRemovable(db, course, sql`l.module_id = ${input.moduleId}`, "moduleId", "this module's lessons");
  const row = await queryOne<{ lessons: number }>(
    db,
    sql`select count(*)::int as lessons from lessons where module_id = ${input.moduleId}`,
  );
  await db.execute(sql`delete from modules where id = ${input.moduleId}`); // lessons cascade
  await applyOrder(db, MODULES, course.id, await childIds(db, MODULES, course.id));
  await audit(db, editor, "module.remove", "module", input.moduleId, {
    courseId: course.id,
    lessons: row?.lessons ?? 0,
  });
  return { removed: true, removedLessons: row?.lessons ?? 0 };
}

export async function reorderModules(
  db: Database,
  editor: Editor,
  input: z.output<typeof reorderModulesInput>,
): Promise<ModuleRecord[]> {
  const course = await lockCourseForEdit(db, editor, input.courseId);
  assertPermutation("moduleIds", "course's modules", await childIds(db, MODULES, course.id), input.moduleIds);
  await applyOrder(db, MODULES, course.id, input.moduleIds);
  await audit(db, editor, "module.reorder", "course", course.id, { moduleIds: input.moduleIds });
  return queryRows<ModuleRecord>(
    db,
    sql`select ${moduleColumns} from modules where course_id = ${course.id} order by order_index`,
  );
}

// --- Lessons -----------------------------------------------------------------------------------

/** The stored content: the shape without its `type` key (the lesson's type column holds it). */
function storedContent(content: LessonContent): { type: LessonType; json: string } {
  const { type, ...rest } = content;
  return { type, json: JSON.stringify(rest) };
}

export async function addLesson(
  db: Database,
  editor: Editor,
  input: z.output<typeof addLessonInput>,
): Promise<LessonRecord> {
  const course = await lockModule(db, editor, input.moduleId);
  const siblings = await childIds(db, LESSONS, input.moduleId);
  const content = storedContent(input.content);
  const created = await queryOne<{ id: string }>(
    db,
    sql`insert into lessons (title, type, content, duration, order_index, module_id, course_id, institution_id)
        values (${input.title}, ${content.type}, ${content.json}::jsonb, ${input.duration}, ${siblings.length},
                ${input.moduleId}, ${course.id}, ${editor.institutionId})
        returning id`,
  );
  if (!created) throw new Error("insert returned no row");
  if (input.position !== undefined && input.position < siblings.length) {
    await applyOrder(db, LESSONS, input.moduleId, placed([...siblings, created.id], created.id, input.position));
  }
  await audit(db, editor, "lesson.add", "lesson", created.id, { moduleId: input.moduleId, type: content.type });
  return getLesson(db, created.id);
}

export async function updateLesson(
  db: Database,
  editor: Editor,
  input: z.output<typeof updateLessonInput>,
): Promise<LessonRecord> {
  await lockLesson(db, editor, input.lessonId);
  const sets: SQL[] = [sql`updated_at = now()`];
  if (input.title !== undefined) sets.push(sql`title = ${input.title}`);
  if (input.duration !== undefined) sets.push(sql`duration = ${input.duration}`);
  if (input.content !== undefined) {
    const content = storedContent(input.content);
    sets.push(sql`type = ${content.type}`, sql`content = ${content.json}::jsonb`);
  }
  await db.execute(sql`update lessons set ${sql.join(sets, sql`, `)} where id = ${input.lessonId}`);
  await audit(db, editor, "lesson.update", "lesson", input.lessonId, {
    fields: ["title", "duration", "content"].filter((key) => input[key as "title"] !== undefined),
  });
  return getLesson(db, input.lessonId);
}

export async function removeLesson(
  db: Database,
  editor: Editor,
  input: z.output<typeof lessonIdInput>,
): Promise<{ removed: true }> {
  const { course, moduleId } = await lockLesson(db, editor, input.lessonId);
  await assertRemovable(db, course, sql`l.id = ${input.lessonId}`, "lessonId", "this lesson");
  await db.execute(sql`delete from lessons where id = ${input.lessonId}`);
  await applyOrder(db, LESSONS, moduleId, await childIds(db, LESSONS, moduleId));
  await audit(db, editor, "lesson.remove", "lesson", input.lessonId, { moduleId });
  return { removed: true };
}

export async function reorderLessons(
  db: Database,
  editor: Editor,
  input: z.output<typeof reorderLessonsInput>,
): Promise<LessonRecord[]> {
  await lockModule(db, editor, input.moduleId);
  assertPermutation("lessonIds", "module's lessons", await childIds(db, LESSONS, input.moduleId), input.lessonIds);
  await applyOrder(db, LESSONS, input.moduleId, input.lessonIds);
  await audit(db, editor, "lesson.reorder", "module", input.moduleId, { lessonIds: input.lessonIds });
  return queryRows<LessonRecord>(
    db,
    sql`select ${lessonColumns} from lessons where module_id = ${input.moduleId} order by order_index`,
  );
}

/**
 * Moves a lesson to a place in another module of the same course (or its own). Not across
 * courses: learners' progress is recorded against (lesson, course).
 */
export async function moveLesson(
  db: Database,
  editor: Editor,
  input: z.output<typeof moveLessonInput>,
): Promise<LessonRecord> {
  const { course, moduleId: from } = await lockLesson(db, editor, input.lessonId);
  if ((await moduleCourse(db, input.moduleId)) !== course.id) {
    throw new Refusal("BAD_REQUEST", "moduleId: a lesson can only move to a module of its own course");
  }
  if (from === input.moduleId) {
    await applyOrder(db, LESSONS, from, placed(await childIds(db, LESSONS, from), input.lessonId, input.position));
  } else {
    const target = await childIds(db, LESSONS, input.moduleId);
    // Park it past the target's last index, then close the gap it left and place it.
    await db.execute(
      sql`update lessons set module_id = ${input.moduleId}, order_index = ${PARKING_OFFSET * 2}, updated_at = now()
          where id = ${input.lessonId}`,
    );
    await applyOrder(db, LESSONS, from, await childIds(db, LESSONS, from));
    await applyOrder(db, LESSONS, input.moduleId, placed([...target, input.lessonId], input.lessonId, input.position));
  }
  await audit(db, editor, "lesson.move", "lesson", input.lessonId, {
    from,
    to: input.moduleId,
    position: input.position,
  });
  return getLesson(db, input.lessonId);
}
