import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

type Caller = ReturnType<typeof callerAs>;

/** "OK" or the tRPC error code. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

// Who may call each management procedure. Principals run in this order, the authorised last,
// so a refused call always meets the fixture's state. Southbank's administrator (a token) and
// instructor (Grace) stand for "another institution": NOT_FOUND for Northwind's rows, which
// row-level security hides, never FORBIDDEN-with-details and never data.
const principals = {
  anonymous: null,
  student: as.sam,
  ta: as.tom,
  otherInstructor: as.grace,
  otherAdmin: as.southbankToken,
  instructor: as.ada,
  admin: as.northwindAdmin,
} as const;
type Who = keyof typeof principals;

const text = { type: "TEXT" as const, body: "b" };
const matrix: Array<[string, (api: Caller) => Promise<unknown>, Partial<Record<Who, string>>]> = [
  ["institutions.get", (api) => api.institutions.get(), { otherAdmin: "OK", admin: "OK" }],
  ["institutions.rename", (api) => api.institutions.rename({ name: "Renamed" }), { otherAdmin: "OK", admin: "OK" }],
  [
    "institutions.updateSettings",
    (api) => api.institutions.updateSettings({ locale: "fr" }),
    { otherAdmin: "OK", admin: "OK" },
  ],
  ["departments.list", (api) => api.departments.list({}), { otherAdmin: "OK", admin: "OK" }],
  [
    "departments.create",
    (api) => api.departments.create({ name: "Law", code: "LAW" }),
    { otherAdmin: "OK", admin: "OK" },
  ],
  [
    "departments.rename",
    (api) => api.departments.rename({ departmentId: ids.deptCs, name: "CS" }),
    { otherAdmin: "NOT_FOUND", admin: "OK" },
  ],
  ["users.list", (api) => api.users.list({}), { otherAdmin: "OK", admin: "OK" }],
  ["users.get", (api) => api.users.get({ userId: ids.sam }), { otherAdmin: "NOT_FOUND", admin: "OK" }],
  [
    "users.update",
    (api) => api.users.update({ userId: ids.sam, name: "Sam S" }),
    { otherAdmin: "NOT_FOUND", admin: "OK" },
  ],
  ["users.deactivate", (api) => api.users.deactivate({ userId: ids.noel }), { otherAdmin: "NOT_FOUND", admin: "OK" }],
  ["users.reactivate", (api) => api.users.reactivate({ userId: ids.noel }), { otherAdmin: "NOT_FOUND", admin: "OK" }],
  [
    "users.changeRole",
    (api) => api.users.changeRole({ userId: ids.noel, role: "TEACHING_ASSISTANT" }),
    { otherAdmin: "NOT_FOUND", admin: "OK" },
  ],
  [
    "courses.list",
    (api) => api.courses.list({}),
    { otherInstructor: "OK", otherAdmin: "OK", instructor: "OK", admin: "OK" },
  ],
  [
    "courses.get",
    (api) => api.courses.get({ courseId: ids.c1 }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "courses.update",
    (api) => api.courses.update({ courseId: ids.c1, title: "Calculus" }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "courses.create",
    (api) =>
      api.courses.create({
        title: "Optics",
        description: "Light.",
        category: "SCIENCE",
        difficulty: "BEGINNER",
        price: 0,
        estimatedHours: 3,
        instructorId: ids.ada,
      }),
    { otherAdmin: "BAD_REQUEST", admin: "OK" },
  ],
  ["courses.publish", (api) => api.courses.publish({ courseId: ids.c3 }), { otherAdmin: "NOT_FOUND", admin: "OK" }],
  ["courses.archive", (api) => api.courses.archive({ courseId: ids.c4 }), { otherAdmin: "NOT_FOUND", admin: "OK" }],
  [
    "modules.add",
    (api) => api.modules.add({ courseId: ids.c2, title: "More" }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "modules.update",
    (api) => api.modules.update({ moduleId: ids.m3, title: "Basics" }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "modules.reorder",
    (api) => api.modules.reorder({ courseId: ids.c1, moduleIds: [ids.m1, ids.m2] }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "lessons.add",
    (api) => api.lessons.add({ moduleId: ids.m3, title: "New", duration: 1, content: text }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "lessons.update",
    (api) => api.lessons.update({ lessonId: ids.l5, title: "Hello" }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "lessons.reorder",
    (api) => api.lessons.reorder({ moduleId: ids.m1, lessonIds: [ids.l1, ids.l2] }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "lessons.move",
    (api) => api.lessons.move({ lessonId: ids.l2, moduleId: ids.m1, position: 1 }),
    { otherInstructor: "NOT_FOUND", otherAdmin: "NOT_FOUND", instructor: "OK", admin: "OK" },
  ],
  [
    "prerequisites.add",
    (api) => api.prerequisites.add({ courseId: ids.c2, prerequisiteId: ids.c1 }),
    { otherAdmin: "NOT_FOUND", admin: "OK" },
  ],
  [
    "prerequisites.remove",
    (api) => api.prerequisites.remove({ courseId: ids.c2, prerequisiteId: ids.c1 }),
    { otherAdmin: "NOT_FOUND", admin: "OK" },
  ],
];

describe("roles on every management procedure", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    services = createTestServices(database);
  });
  afterAll(() => database.destroy());

  it("each role gets exactly what it may: ADMIN its institution, INSTRUCTOR its courses' content, others FORBIDDEN", async () => {
    const actual: Record<string, Record<Who, string>> = {};
    const expected: Record<string, Record<Who, string>> = {};
    for (const [path, call, allowed] of matrix) {
      actual[path] = {} as Record<Who, string>;
      expected[path] = {} as Record<Who, string>;
      for (const [who, principal] of Object.entries(principals) as Array<[Who, (typeof principals)[Who]]>) {
        actual[path][who] = await outcome(call(callerAs(services, principal)));
        expected[path][who] = allowed[who] ?? (who === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN");
      }
    }
    expect(actual).toEqual(expected);
  });

  it("another institution's administrator lists only their own rows", async () => {
    const other = callerAs(services, as.southbankToken);
    const northwind = new RegExp([ids.northwind, ids.admin, ids.ada, ids.sam, ids.c1, ids.deptCs].join("|"));
    for (const list of [
      other.users.list({}),
      other.courses.list({}),
      other.departments.list({}),
      other.institutions.get(),
    ]) {
      expect(JSON.stringify(await list)).not.toMatch(northwind);
    }
    expect((await other.courses.list({})).courses.map((c) => c.id)).toEqual([ids.c5]);
  });
});
