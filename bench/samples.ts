import type { CourseAnalyticsInput } from "@coursebase/db/queries/analytics";
import type { Principal } from "@coursebase/db/queries/auth";
import type { SearchCoursesInput } from "@coursebase/db/queries/search";
import { courseCategory, difficultyLevel } from "@coursebase/db/schema";
import type postgres from "postgres";
import { shuffled } from "./stats.ts";

/**
 * The inputs each operation is measured over, drawn from the dataset itself: many students,
 * courses, words and filters, so that no figure is one row read 2,000 times from a hot page.
 * Deterministic for a dataset (ordered by md5 of ids, shuffled with a fixed seed).
 */

/** An input and the institution whose administrator asks for it (the API is scoped by tenant). */
export interface Scoped<I> {
  institutionId: string;
  input: I;
}

export interface Samples {
  institutions: string[];
  dashboard: Scoped<{ studentId: string }>[];
  analytics: Scoped<CourseAnalyticsInput>[];
  searchQuery: Scoped<SearchCoursesInput>[];
  searchFilters: Scoped<SearchCoursesInput>[];
}

/** An institution-wide administrator token, as an integration presents it. */
export function adminPrincipal(institutionId: string): Principal {
  return { kind: "token", tokenId: "00000000-0000-4000-8000-0000000000be", userId: null, institutionId, role: "ADMIN" };
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function drawSamples(sql: postgres.Sql, options: { count: number; anchor: string }): Promise<Samples> {
  const { count } = options;
  const institutions = (await sql<{ id: string }[]>`select id from institutions order by name`).map((r) => r.id);

  const students = await sql<{ id: string; institution_id: string }[]>`
    select id, institution_id from users where role = 'STUDENT' order by md5(id::text) limit ${count}`;
  const dashboard = students.map((s) => ({ institutionId: s.institution_id, input: { studentId: s.id } }));

  // Courses anyone would look at (not drafts); 90-day windows ending on one of the last 30 days.
  const courses = await sql<{ id: string; institution_id: string }[]>`
    select id, institution_id from courses where status <> 'DRAFT' order by md5(id::text)`;
  const anchorMs = Date.parse(options.anchor);
  const analytics = Array.from({ length: Math.min(count, Math.max(courses.length, 1) * 30) }, (_, i) => {
    const course = courses[i % courses.length] as (typeof courses)[number];
    const endMs = anchorMs - (Math.floor(i / courses.length) % 30) * DAY_MS;
    return {
      institutionId: course.institution_id,
      input: { courseId: course.id, start: isoDay(endMs - 89 * DAY_MS), end: isoDay(endMs) },
    };
  });

  // What people type: whole title words, their first letters, and two words of one title.
  const titles = await sql<{ institution_id: string; words: string[] }[]>`
    select institution_id,
           array(select w from regexp_split_to_table(lower(title), '[^a-z0-9]+') w where length(w) >= 3) as words
      from courses where status = 'PUBLISHED' order by md5(id::text)`;
  const queries: Scoped<SearchCoursesInput>[] = [];
  for (const [i, t] of titles.entries()) {
    const [first, second] = t.words;
    if (!first) continue;
    const text = i % 3 === 0 ? first : i % 3 === 1 ? first.slice(0, 4) : second ? `${first} ${second}` : first;
    queries.push({ institutionId: t.institution_id, input: { query: text, page: 1, limit: 20 } });
  }
  const searchQuery = shuffled(queries, 7).slice(0, count);

  const categories = courseCategory.enumValues;
  const levels = difficultyLevel.enumValues;
  const searchFilters = Array.from({ length: count }, (_, i) => {
    const institutionId = institutions[i % institutions.length] as string;
    const category = categories[Math.floor(i / 3) % categories.length];
    const difficulty = levels[Math.floor(i / 7) % levels.length];
    // Category, level, both or neither; mostly the first page, sometimes the second or third.
    const input: SearchCoursesInput = {
      page: [1, 1, 1, 2, 3][i % 5] as number,
      limit: 20,
      ...(i % 4 === 0 || i % 4 === 2 ? { category } : {}),
      ...(i % 4 === 1 || i % 4 === 2 ? { difficulty } : {}),
    };
    return { institutionId, input };
  });

  return { institutions, dashboard, analytics, searchQuery, searchFilters };
}
