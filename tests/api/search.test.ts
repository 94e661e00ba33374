import { schema } from "@coursebase/db";
import { searchCourses, searchCoursesInput } from "@coursebase/db/queries/search";
import type { createCaller } from "@coursebase/server";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError, type z } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// Expected values are read off the fixture by hand (tests/support/fixture.ts), not computed.
// Besides the fixture, this file adds a third institution with two courses published at the
// same instant (to see the title tie-break, and a title match against a description-only
// match) and one ARCHIVED course:
const eastgate = "a0000000-0000-4000-8000-000000000090";
const clara = "b0000000-0000-4000-8000-000000000090";
const harmony = "c0000000-0000-4000-8000-000000000090"; // "Harmony for Beginners": title match
const aural = "c0000000-0000-4000-8000-000000000091"; // "Aural Skills ...": harmony twice in the description
const archived = "c0000000-0000-4000-8000-000000000092"; // ARCHIVED, mentions harmony in its title

// Every PUBLISHED course, newest first; Aural before Harmony on the tie by title (although
// Harmony was inserted first and has the smaller id). C3 (DRAFT) and the archived one never appear.
const c5 = "Calculus for Business"; // 2026-04-01, Southbank
const c2 = "Introduction to C++ Programming"; // 2026-03-01
const c4 = "Linear Algebra"; // 2026-02-01
const c1 = "Calculus I: Limits and Derivatives"; // 2026-01-10
const auralTitle = "Aural Skills and Ear Training"; // 2025-09-01, Eastgate
const harmonyTitle = "Harmony for Beginners"; // 2025-09-01, Eastgate
const allPublished = [c5, c2, c4, c1, auralTitle, harmonyTitle];

function inputIssues(error: TRPCError): Array<{ path: string; message: string }> {
  expect(error.cause).toBeInstanceOf(ZodError);
  return (error.cause as ZodError).issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("search.courses", () => {
  let database: TestDatabase;
  let api: ReturnType<typeof createCaller>;
  type SearchInput = z.input<typeof searchCoursesInput>;
  // The query layer across institutions (as the owner, no tenant): what the SQL finds and ranks.
  // The API itself is scoped to the caller's institution (tests/auth/authorization.test.ts).
  const catalog = (input: SearchInput) => searchCourses(database.db, searchCoursesInput.parse(input));
  const titles = async (input: SearchInput) => (await catalog(input)).courses.map((course) => course.title);

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    const { db } = database;
    await db
      .insert(schema.institutions)
      .values({ id: eastgate, name: "Eastgate Academy", domain: "eastgate.example", type: "SCHOOL" });
    await db.insert(schema.users).values({
      id: clara,
      email: "clara@eastgate.example",
      name: "Clara Schumann",
      role: "INSTRUCTOR",
      institutionId: eastgate,
    });
    const music = {
      category: "HUMANITIES" as const,
      institutionId: eastgate,
      instructorId: clara,
      status: "PUBLISHED" as const,
      publishedAt: new Date("2025-09-01T00:00:00Z"),
    };
    await db.insert(schema.courses).values([
      {
        ...music,
        id: harmony,
        title: harmonyTitle,
        description: "Chords and voice leading for new musicians.",
        slug: "harmony-beginners",
        difficulty: "BEGINNER",
        price: "19.99",
        estimatedHours: 10,
      },
      {
        ...music,
        id: aural,
        title: auralTitle,
        description:
          'Intervals & rhythm by ear <script>alert("x")</script>: harmony dictation every week, harmony drills.',
        slug: "aural-skills",
        difficulty: "INTERMEDIATE",
        price: "15.00",
        estimatedHours: 12,
      },
      {
        ...music,
        id: archived,
        title: "Counterpoint and Harmony",
        description: "Retired edition of the counterpoint course.",
        slug: "counterpoint",
        difficulty: "ADVANCED",
        price: "30.00",
        estimatedHours: 20,
        status: "ARCHIVED",
        publishedAt: new Date("2025-01-01T00:00:00Z"),
      },
    ]);
    api = callerAs(createTestServices(database), as.northwindToken);
  });
  afterAll(() => database.destroy());

  describe("without a query", () => {
    it("lists PUBLISHED courses newest first, then by title, with the default page", async () => {
      const result = await catalog({});
      expect(result.courses.map((course) => course.title)).toEqual(allPublished);
      expect(result.pagination).toEqual({ page: 1, limit: 20, total: 6, hasMore: false });
      expect(await titles({ query: "   " })).toEqual(allPublished); // blank text is no query
    });

    it("returns each row whole: exact price, Date, instructor, enrollment count without DROPPED", async () => {
      const { courses } = await catalog({ institutionId: ids.northwind });
      expect(courses.map((course) => [course.title, course.enrollmentCount])).toEqual([
        [c2, 2], // Sam ACTIVE, Alex SUSPENDED
        [c4, 0], // Sam DROPPED only
        [c1, 2], // Sam ACTIVE, Alex COMPLETED
      ]);
      expect(courses[1]).toEqual({
        id: ids.c4,
        title: c4,
        slug: "linear-algebra",
        description: "Vector spaces, matrices and linear maps. Content coming soon.",
        category: "MATHEMATICS",
        difficulty: "INTERMEDIATE",
        price: "0.00",
        estimatedHours: 35,
        publishedAt: new Date("2026-02-01T09:00:00Z"),
        institutionId: ids.northwind,
        instructor: { name: "Ada Lovelace" },
        enrollmentCount: 0,
        rank: null,
        snippet: null,
      });
      expect(courses[0]?.price).toBe("79.50");
    });

    it("filters by institution, category and difficulty", async () => {
      expect(await titles({ institutionId: ids.southbank })).toEqual([c5]);
      expect(await titles({ institutionId: eastgate })).toEqual([auralTitle, harmonyTitle]);
      expect(await titles({ institutionId: ids.unknown })).toEqual([]);
      expect(await titles({ category: "MATHEMATICS" })).toEqual([c4, c1]);
      expect(await titles({ difficulty: "BEGINNER" })).toEqual([c5, c1, harmonyTitle]);
      expect(await titles({ category: "MATHEMATICS", difficulty: "BEGINNER" })).toEqual([c1]);
      expect(await titles({ category: "HUMANITIES", difficulty: "ADVANCED" })).toEqual([]); // archived only
      expect(await titles({ category: "DATA_SCIENCE" })).toEqual([]); // C3 is a DRAFT
    });

    it("pages: hasMore, the last page, and a page past the end with the right total", async () => {
      expect(await catalog({ page: 1, limit: 4 })).toMatchObject({
        pagination: { page: 1, limit: 4, total: 6, hasMore: true },
      });
      const second = await catalog({ page: 2, limit: 4 });
      expect(second.courses.map((course) => course.title)).toEqual([auralTitle, harmonyTitle]);
      expect(second.pagination).toEqual({ page: 2, limit: 4, total: 6, hasMore: false });
      for (const page of [3, 1_000_000]) {
        expect(await catalog({ page, limit: 4 })).toEqual({
          courses: [],
          pagination: { page, limit: 4, total: 6, hasMore: false },
        });
      }
      expect((await catalog({ limit: 100 })).pagination.total).toBe(6);
    });
  });

  describe("with a query", () => {
    it("matches prefixes: `calc` finds both calculus courses (equal rank: newest first)", async () => {
      const result = await catalog({ query: "calc" });
      expect(result.courses.map((course) => course.title)).toEqual([c5, c1]);
      expect(result.pagination).toEqual({ page: 1, limit: 20, total: 2, hasMore: false });
      expect(await titles({ query: "CALCUL" })).toEqual([c5, c1]);
      expect(await titles({ query: "deriv" })).toEqual([c1]); // "derivatives" in title and description
    });

    it("ANDs the words and combines with the filters", async () => {
      expect(await titles({ query: "calculus business" })).toEqual([c5]);
      expect(await titles({ query: "calc", institutionId: ids.northwind })).toEqual([c1]);
      expect(await titles({ query: "calc", institutionId: ids.southbank })).toEqual([c5]);
      expect(await titles({ query: "calc", category: "BUSINESS" })).toEqual([c5]);
      expect(await titles({ query: "calc", difficulty: "INTERMEDIATE" })).toEqual([]);
    });

    it("never returns DRAFT or ARCHIVED courses", async () => {
      expect(await titles({ query: "python" })).toEqual([]); // C3, DRAFT
      expect(await titles({ query: "data science" })).toEqual([]);
      expect(await titles({ query: "counterpoint" })).toEqual([]); // ARCHIVED
    });

    it("ranks a title match above a description-only match", async () => {
      // Aural mentions harmony twice (description only), is as new and sorts first by title.
      const { courses } = await catalog({ query: "harmony" });
      expect(courses.map((course) => course.title)).toEqual([harmonyTitle, auralTitle]);
      const [first, second] = courses;
      expect(first?.rank).toBeGreaterThan(second?.rank ?? Number.POSITIVE_INFINITY);
    });

    it("returns a highlighted, HTML-escaped snippet of the description", async () => {
      const { courses } = await catalog({ query: "harmony", institutionId: eastgate });
      const auralRow = courses.find((course) => course.id === aural);
      expect(auralRow?.snippet).toContain("Intervals &amp; rhythm by ear");
      expect(auralRow?.snippet).toContain("<mark>harmony</mark> dictation every week, <mark>harmony</mark> drills");
      expect(auralRow?.snippet).not.toContain("<script");
      // No match in the description: its opening words, unmarked.
      const harmonyRow = courses.find((course) => course.id === harmony);
      expect(harmonyRow?.snippet).toContain("Chords and voice leading");
      expect(harmonyRow?.snippet).not.toContain("<mark>");
    });

    it("returns the whole row with rank and snippet", async () => {
      const { courses } = await catalog({ query: "c++" });
      expect(courses).toEqual([
        {
          id: ids.c2,
          title: c2,
          slug: "intro-cpp",
          description: "Pointers, classes and the standard library: write fast, safe C++ from your first program.",
          category: "PROGRAMMING",
          difficulty: "INTERMEDIATE",
          price: "79.50",
          estimatedHours: 30,
          publishedAt: new Date("2026-03-01T09:00:00Z"),
          institutionId: ids.northwind,
          instructor: { name: "Ada Lovelace" },
          enrollmentCount: 2,
          rank: expect.any(Number),
          snippet: expect.stringContaining("safe <mark>C</mark>++ from your first program"),
        },
      ]);
    });

    it("pages over the matches, and past the end keeps the total", async () => {
      expect(await catalog({ query: "calc", page: 1, limit: 1 })).toMatchObject({
        courses: [{ title: c5 }],
        pagination: { page: 1, limit: 1, total: 2, hasMore: true },
      });
      expect(await catalog({ query: "calc", page: 2, limit: 1 })).toMatchObject({
        courses: [{ title: c1 }],
        pagination: { page: 2, limit: 1, total: 2, hasMore: false },
      });
      expect(await catalog({ query: "calc", page: 3, limit: 1 })).toEqual({
        courses: [],
        pagination: { page: 3, limit: 1, total: 2, hasMore: false },
      });
    });

    it("takes hostile text as plain words, never an error", async () => {
      const calculus = [c5, c1];
      const cases: Array<[string, string[]]> = [
        ['"calculus"', calculus],
        ["calculus & business", [c5]],
        ["(calculus", calculus],
        ["calculus)) | !business", [c5]], // operators are separators: calculus AND business
        ["c++", [c2]],
        ["!!!", []],
        ["a:*", []], // "a" is a stop word
        ["calc:*", calculus],
        ["🎓📚", []],
        ["calculus 🎓", calculus],
        ["<-> <2> '' \\ : *", []],
        ["' OR 1=1; --", []],
        ["naïve café 日本語", []],
        ["the of and", []], // stop words only
        ["calculus ".repeat(222), calculus], // 1,998 characters, one word
        [
          Array.from({ length: 400 }, (_, i) => `w${i}`)
            .join(" ")
            .slice(0, 2_000),
          [],
        ],
        ["x".repeat(2_000), []],
      ];
      for (const [query, expected] of cases) {
        expect(await titles({ query }), JSON.stringify(query.slice(0, 40))).toEqual(expected);
      }
    });
  });

  describe("bad input: BAD_REQUEST naming the field", () => {
    it("limit above 100, or below 1", async () => {
      const error = await rejection(api.search.courses({ limit: 101 }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(inputIssues(error)).toEqual([{ path: "limit", message: "must be at most 100 rows per page" }]);
      expect(inputIssues(await rejection(api.search.courses({ limit: 0 }))).map((issue) => issue.path)).toEqual([
        "limit",
      ]);
    });

    it("page below 1 or not an integer; unknown category; malformed institution; overlong query", async () => {
      const cases: Array<[SearchInput, string]> = [
        [{ page: 0 }, "page"],
        [{ page: 1.5 }, "page"],
        [{ category: "COOKING" as "BUSINESS" }, "category"],
        [{ difficulty: "EASY" as "BEGINNER" }, "difficulty"],
        [{ institutionId: "northwind" }, "institutionId"],
        [{ query: "x".repeat(4_001) }, "query"],
      ];
      for (const [input, field] of cases) {
        const error = await rejection(api.search.courses(input));
        expect(error.code).toBe("BAD_REQUEST");
        expect(inputIssues(error).map((issue) => issue.path)).toEqual([field]);
      }
    });
  });
});
