import { queryOne, queryRows } from "@coursebase/db";
import type { lessonContent } from "@coursebase/db/queries/content";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";
import { auditEntries, digest, refusal } from "./support.ts";

let database: TestDatabase;
let services: ReturnType<typeof createTestServices>;
const api = (principal: Parameters<typeof callerAs>[1]) => callerAs(services, principal);
const admin = () => api(as.northwindAdmin);
const contentTables = ["courses", "modules", "lessons", "course_prerequisites", "audit_log"];

const aCourse = {
  title: "Number Theory",
  description: "Primes, congruences and a little cryptography.",
  category: "MATHEMATICS" as const,
  difficulty: "INTERMEDIATE" as const,
  price: 19.9,
  estimatedHours: 12,
  instructorId: ids.ada,
};
const text = (body: string) => ({ type: "TEXT" as const, body });

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
  services = createTestServices(database);
});
afterAll(() => database.destroy());

/** order_index of a parent's children, by title, as stored. */
const lessonOrder = (moduleId: string) =>
  queryRows<{ id: string; orderIndex: number }>(
    database.db,
    sql`select id, order_index as "orderIndex" from lessons where module_id = ${moduleId} order by order_index`,
  );

describe("courses: create, read, edit", () => {
  it("list: every status, filtered by words, status, category, difficulty, with learner counts", async () => {
    const list = async (filters: Parameters<ReturnType<typeof admin>["courses"]["list"]>[0]) =>
      (await admin().courses.list(filters)).courses.map((c) => [c.slug, c.status, c.enrollmentCount]);
    // Fixture (equal updated_at, so by id): learners not DROPPED: C1 Sam + Alex, C2 Sam + Alex
    // (suspended), C4 only Sam's DROPPED enrollment.
    expect(await list({})).toEqual([
      ["calculus-i", "PUBLISHED", 2],
      ["intro-cpp", "PUBLISHED", 2],
      ["data-science-python", "DRAFT", 0],
      ["linear-algebra", "PUBLISHED", 0],
    ]);
    expect(await list({ query: "calc" })).toEqual([["calculus-i", "PUBLISHED", 2]]);
    expect(await list({ query: "python pandas" })).toEqual([["data-science-python", "DRAFT", 0]]);
    expect(await list({ query: "++" })).toEqual([]);
    expect(await list({ status: "PUBLISHED", category: "MATHEMATICS" })).toEqual([
      ["calculus-i", "PUBLISHED", 2],
      ["linear-algebra", "PUBLISHED", 0],
    ]);
    expect(await list({ difficulty: "ADVANCED" })).toEqual([["data-science-python", "DRAFT", 0]]);
    const page = await admin().courses.list({ limit: 3, page: 2 });
    expect(page.pagination).toEqual({ page: 2, limit: 3, total: 4, hasMore: false });
  });

  it("creates a DRAFT course with a slug made from its title, audited", async () => {
    const course = await admin().courses.create({ ...aCourse, departmentId: ids.deptMath });
    expect(course).toMatchObject({
      title: "Number Theory",
      slug: "number-theory",
      status: "DRAFT",
      price: "19.90",
      publishedAt: null,
      instructor: { id: ids.ada, name: "Ada Lovelace" },
      departmentId: ids.deptMath,
      modules: [],
      prerequisites: [],
      lessonCount: 0,
    });
    // The same title again: the made-up slug gets a suffix; a given slug that is taken is refused.
    const again = await admin().courses.create(aCourse);
    expect(again.slug).toMatch(/^number-theory-[0-9a-f]{6}$/);
    expect(await refusal(admin().courses.create({ ...aCourse, slug: "calculus-business" }))).toEqual({
      code: "CONFLICT",
      message: "slug: already in use", // Southbank's slug: nothing more is said
    });
    expect((await auditEntries(database.db, "course.create")).map((e) => e.targetId)).toEqual([course.id, again.id]);
  });

  it("refuses an instructor who is not an active instructor of the institution", async () => {
    for (const instructorId of [ids.tom, ids.grace, ids.unknown]) {
      expect(await refusal(admin().courses.create({ ...aCourse, instructorId }))).toEqual({
        code: "BAD_REQUEST",
        message: "instructorId: not an active instructor of this institution",
      });
    }
    expect((await refusal(admin().courses.create({ ...aCourse, price: 1.234 }))).message).toBe(
      "price: must have at most 2 decimals",
    );
  });

  it("get returns modules and lessons in order, and the prerequisites", async () => {
    const c1 = await admin().courses.get({ courseId: ids.c1 });
    expect(c1.modules.map((m) => [m.title, m.lessons.map((l) => l.title)])).toEqual([
      ["Limits", ["What is a limit?", "Limit laws"]],
      ["Derivatives", ["The derivative", "Derivatives quiz"]],
    ]);
    expect(c1).toMatchObject({ status: "PUBLISHED", lessonCount: 4, prerequisites: [] });
  });

  it("instructors edit the content of their own courses only; admin-only fields are refused", async () => {
    const ada = api(as.ada);
    expect((await ada.courses.update({ courseId: ids.c1, title: "Calculus I" })).title).toBe("Calculus I");
    expect(await refusal(ada.courses.update({ courseId: ids.c1, price: 0 }))).toEqual({
      code: "FORBIDDEN",
      message: "price: only an administrator may change it",
    });
    expect((await refusal(ada.courses.publish({ courseId: ids.c3 }))).code).toBe("FORBIDDEN");
    expect((await refusal(ada.courses.create(aCourse))).code).toBe("FORBIDDEN");
    expect((await ada.courses.list({})).courses.length).toBeGreaterThan(0);
    // Not theirs: an instructor of Northwind who does not teach C1.
    const other = await admin().users.create({ email: "ivy@northwind.edu", name: "Ivy Other", role: "INSTRUCTOR" });
    const ivy = api({
      kind: "session",
      sessionId: ids.unknown,
      userId: other.id,
      institutionId: ids.northwind,
      role: "INSTRUCTOR",
    });
    expect(await refusal(ivy.courses.get({ courseId: ids.c1 }))).toEqual({
      code: "FORBIDDEN",
      message: "courseId: only the course's instructors and administrators may see or edit it",
    });
    expect((await ivy.courses.list({})).courses).toEqual([]);
    // A co-instructor listed in course_staff may edit.
    await database.db.execute(
      sql`insert into course_staff (course_id, user_id, institution_id) values (${ids.c1}, ${other.id}, ${ids.northwind})`,
    );
    expect((await ivy.modules.update({ moduleId: ids.m1, description: "Limits, gently" })).description).toBe(
      "Limits, gently",
    );
    // Other roles and other institutions.
    expect((await refusal(api(as.tom).courses.get({ courseId: ids.c1 }))).code).toBe("FORBIDDEN");
    expect((await refusal(api(as.sam).lessons.remove({ lessonId: ids.l1 }))).code).toBe("FORBIDDEN");
    expect(await refusal(api(as.grace).courses.get({ courseId: ids.c1 }))).toEqual({
      code: "NOT_FOUND",
      message: "courseId: no such course",
    });
    expect(await refusal(api(as.southbankToken).courses.update({ courseId: ids.c1, title: "Mine now" }))).toEqual({
      code: "NOT_FOUND",
      message: "courseId: no such course",
    });
    expect((await refusal(api(as.southbankToken).lessons.update({ lessonId: ids.l1, title: "x" }))).code).toBe(
      "NOT_FOUND",
    );
  });
});

describe("status workflow DRAFT -> PUBLISHED -> ARCHIVED", () => {
  it("publishing needs a lesson, sets published_at; archiving follows; nothing else", async () => {
    const course = await admin().courses.create({ ...aCourse, slug: "workflow-course" });
    expect(await refusal(admin().courses.publish({ courseId: course.id }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "courseId: a course needs at least one lesson to be published; add a lesson first",
    });
    expect(await refusal(admin().courses.archive({ courseId: course.id }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "courseId: only a PUBLISHED course can be archived; this one is DRAFT (DRAFT -> PUBLISHED -> ARCHIVED)",
    });
    const module = await admin().modules.add({ courseId: course.id, title: "Primes" });
    await admin().lessons.add({
      moduleId: module.id,
      title: "Euclid",
      duration: 10,
      content: text("Infinitely many."),
    });

    const before = Date.now();
    const published = await admin().courses.publish({ courseId: course.id });
    expect(published.status).toBe("PUBLISHED");
    expect(published.publishedAt?.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(await refusal(admin().courses.publish({ courseId: course.id }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "courseId: only a DRAFT course can be published; this one is PUBLISHED (DRAFT -> PUBLISHED -> ARCHIVED)",
    });

    const archived = await admin().courses.archive({ courseId: course.id });
    expect(archived).toMatchObject({ status: "ARCHIVED", publishedAt: published.publishedAt });
    expect((await refusal(admin().courses.publish({ courseId: course.id }))).message).toContain("this one is ARCHIVED");
    expect(await refusal(admin().modules.add({ courseId: course.id, title: "More" }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "courseId: the course is ARCHIVED; its content can no longer change",
    });
    expect((await auditEntries(database.db, "course.publish")).at(-1)).toMatchObject({
      targetId: course.id,
      details: { lessons: 1 },
    });
    expect((await auditEntries(database.db, "course.archive")).at(-1)?.targetId).toBe(course.id);
  });
});

describe("modules and lessons", () => {
  it("adds at a position, keeping order indexes unique and gapless", async () => {
    const first = await admin().modules.add({ courseId: ids.c3, title: "Setup", position: 0 });
    expect(first.orderIndex).toBe(0);
    const modules = await queryRows<{ id: string; orderIndex: number }>(
      database.db,
      sql`select id, order_index as "orderIndex" from modules where course_id = ${ids.c3} order by order_index`,
    );
    expect(modules).toEqual([
      { id: first.id, orderIndex: 0 },
      { id: ids.m4, orderIndex: 1 },
    ]);
    const middle = await admin().lessons.add({
      moduleId: ids.m1,
      title: "Between",
      duration: 5,
      content: text("x"),
      position: 1,
    });
    expect(await lessonOrder(ids.m1)).toEqual([
      { id: ids.l1, orderIndex: 0 },
      { id: middle.id, orderIndex: 1 },
      { id: ids.l2, orderIndex: 2 },
    ]);
    // Removal closes the gap.
    await admin().lessons.remove({ lessonId: middle.id });
    expect(await lessonOrder(ids.m1)).toEqual([
      { id: ids.l1, orderIndex: 0 },
      { id: ids.l2, orderIndex: 1 },
    ]);
  });

  it("reorders atomically; a list that is not the module's lessons is refused and changes nothing", async () => {
    const reordered = await admin().lessons.reorder({ moduleId: ids.m2, lessonIds: [ids.l4, ids.l3] });
    expect(reordered.map((l) => [l.id, l.orderIndex])).toEqual([
      [ids.l4, 0],
      [ids.l3, 1],
    ]);
    const before = await digest(database.db, contentTables);
    expect(await refusal(admin().lessons.reorder({ moduleId: ids.m2, lessonIds: [ids.l4] }))).toEqual({
      code: "BAD_REQUEST",
      message: `lessonIds: must list each of the 2 module's lessons exactly once (missing ${ids.l3})`,
    });
    expect(
      (await refusal(admin().lessons.reorder({ moduleId: ids.m2, lessonIds: [ids.l4, ids.l3, ids.l1] }))).message,
    ).toBe("lessonIds: must list each of the 2 module's lessons exactly once (1 not in it)");
    expect((await refusal(admin().lessons.reorder({ moduleId: ids.m2, lessonIds: [ids.l4, ids.l4] }))).message).toBe(
      "lessonIds: must not repeat an id (lessonIds)",
    );
    expect(await digest(database.db, contentTables)).toBe(before);

    const modules = await admin().modules.reorder({ courseId: ids.c1, moduleIds: [ids.m2, ids.m1] });
    expect(modules.map((m) => m.id)).toEqual([ids.m2, ids.m1]);
  });

  it("validates lesson content per type, naming the field", async () => {
    const add = (content: unknown) =>
      refusal(admin().lessons.add({ moduleId: ids.m4, title: "T", duration: 5, content: content as never }));
    expect((await add({ type: "VIDEO", url: "https://video.example/v/1" })).message).toBe(
      "content.durationSeconds: Invalid input: expected number, received undefined",
    );
    expect((await add({ type: "VIDEO", url: "data:video/mp4;base64,AAAA", durationSeconds: 60 })).message).toBe(
      "content.url: must be an http(s) URL",
    );
    expect((await add({ type: "VIDEO", url: "https://v.example/1", durationSeconds: 60, bytes: "AAAA" })).message).toBe(
      'content: Unrecognized key: "bytes"',
    );
    expect((await add({ type: "QUIZ", questions: [{ prompt: "2+2?", options: ["3", "4"], answer: 2 }] })).message).toBe(
      "content.questions.0.answer: must be the index of one of the options",
    );
    expect((await add({ type: "QUIZ", questions: [] })).message).toBe("content.questions: needs at least one question");
    expect((await add({ type: "TEXT" })).message).toBe(
      "content.body: Invalid input: expected string, received undefined",
    );
    expect((await add({ type: "ASSIGNMENT", instructions: " " })).message).toBe("content.instructions: is required");
    expect((await add({ type: "INTERACTIVE", url: "javascript:alert(1)" })).message).toBe(
      "content.url: must be an http(s) URL",
    );
    expect((await add({ type: "PODCAST" })).code).toBe("BAD_REQUEST");

    const kinds: Array<z.input<typeof lessonContent>> = [
      { type: "VIDEO", url: "https://video.example/v/1", durationSeconds: 600 },
      { type: "TEXT", body: "Read me", format: "markdown" },
      { type: "QUIZ", questions: [{ prompt: "2+2?", options: ["3", "4"], answer: 1, points: 1 }] },
      { type: "ASSIGNMENT", instructions: "Write an essay", submissionType: "TEXT" },
      { type: "INTERACTIVE", url: "https://lab.example/notebook", config: { kernel: "python3" } },
    ];
    for (const content of kinds) {
      const lesson = await admin().lessons.add({ moduleId: ids.m4, title: content.type, duration: 10, content });
      const { type, ...stored } = content;
      expect(lesson).toMatchObject({ type, content: stored });
    }
    // Changing a lesson's content may change its type.
    const changed = await admin().lessons.update({
      lessonId: ids.l9,
      content: { type: "QUIZ", questions: [{ prompt: "?", options: ["a", "b"], answer: 0 }] },
    });
    expect(changed.type).toBe("QUIZ");
  });

  it("refuses removing lessons learners have progress on, and a published course's last lesson", async () => {
    expect(await refusal(admin().lessons.remove({ lessonId: ids.l3 }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "lessonId: 2 learner(s) have progress on this lesson; it cannot be removed (archive the course instead)",
    });
    expect((await refusal(admin().modules.remove({ moduleId: ids.m1 }))).message).toBe(
      "moduleId: 2 learner(s) have progress on this module's lessons; it cannot be removed (archive the course instead)",
    );
    // C4 is published with no lessons (fixture); give it one, then try to remove it.
    const module = await admin().modules.add({ courseId: ids.c4, title: "Vectors" });
    const lesson = await admin().lessons.add({
      moduleId: module.id,
      title: "Vectors",
      duration: 5,
      content: text("v"),
    });
    expect(await refusal(admin().lessons.remove({ lessonId: lesson.id }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "lessonId: a published course must keep at least one lesson",
    });
    expect((await refusal(admin().modules.remove({ moduleId: module.id }))).message).toBe(
      "moduleId: a published course must keep at least one lesson",
    );
    // A draft may lose all its lessons; the module's removal closes the modules' gap.
    const setup = await queryOne<{ id: string }>(
      database.db,
      sql`select id from modules where course_id = ${ids.c3} and order_index = 0`,
    );
    expect(await admin().modules.remove({ moduleId: setup?.id ?? "" })).toEqual({ removed: true, removedLessons: 0 });
    const c3 = await admin().courses.get({ courseId: ids.c3 });
    expect(c3.modules.map((m) => [m.id, m.orderIndex])).toEqual([[ids.m4, 0]]);
  });

  it("moves a lesson to another module of the same course only", async () => {
    const moved = await admin().lessons.move({ lessonId: ids.l2, moduleId: ids.m2, position: 0 });
    expect(moved).toMatchObject({ moduleId: ids.m2, orderIndex: 0 });
    expect((await lessonOrder(ids.m1)).map((l) => [l.id, l.orderIndex])).toEqual([[ids.l1, 0]]);
    expect((await lessonOrder(ids.m2)).map((l) => [l.id, l.orderIndex])).toEqual([
      [ids.l2, 0],
      [ids.l4, 1],
      [ids.l3, 2],
    ]);
    expect(await refusal(admin().lessons.move({ lessonId: ids.l2, moduleId: ids.m3 }))).toEqual({
      code: "BAD_REQUEST",
      message: "moduleId: a lesson can only move to a module of its own course",
    });
  });
});

describe("prerequisites", () => {
  it("adds and removes; refuses self, other institutions' courses and cycles, naming the cycle", async () => {
    expect(await admin().prerequisites.add({ courseId: ids.c2, prerequisiteId: ids.c1 })).toEqual({
      added: true,
      courseId: ids.c2,
      prerequisiteId: ids.c1,
    });
    expect((await admin().prerequisites.add({ courseId: ids.c2, prerequisiteId: ids.c1 })).added).toBe(false);
    await admin().prerequisites.add({ courseId: ids.c4, prerequisiteId: ids.c2 });

    const before = await digest(database.db, contentTables);
    expect(await refusal(admin().prerequisites.add({ courseId: ids.c1, prerequisiteId: ids.c4 }))).toEqual({
      code: "BAD_REQUEST",
      message:
        'prerequisiteId: would create a cycle: "Calculus I" requires "Linear Algebra" requires "Introduction to C++ Programming" requires "Calculus I"',
    });
    expect((await refusal(admin().prerequisites.add({ courseId: ids.c1, prerequisiteId: ids.c2 }))).message).toBe(
      'prerequisiteId: would create a cycle: "Calculus I" requires "Introduction to C++ Programming" requires "Calculus I"',
    );
    expect(await refusal(admin().prerequisites.add({ courseId: ids.c1, prerequisiteId: ids.c1 }))).toEqual({
      code: "BAD_REQUEST",
      message: "prerequisiteId: a course cannot be its own prerequisite",
    });
    expect(await refusal(admin().prerequisites.add({ courseId: ids.c1, prerequisiteId: ids.c5 }))).toEqual({
      code: "NOT_FOUND",
      message: "prerequisiteId: no such course",
    });
    expect((await refusal(api(as.ada).prerequisites.add({ courseId: ids.c3, prerequisiteId: ids.c1 }))).code).toBe(
      "FORBIDDEN",
    );
    expect(await digest(database.db, contentTables)).toBe(before);

    expect((await admin().courses.get({ courseId: ids.c4 })).prerequisites.map((p) => p.id)).toEqual([ids.c2]);
    expect((await admin().prerequisites.remove({ courseId: ids.c4, prerequisiteId: ids.c2 })).removed).toBe(true);
    // Without C4 -> C2, C1 may now require C4.
    expect((await admin().prerequisites.add({ courseId: ids.c1, prerequisiteId: ids.c4 })).added).toBe(true);
    expect((await auditEntries(database.db, "prerequisite.add")).length).toBe(3);
  });
});
