import { courses, enrollments, users } from "@coursebase/db/schema";
import type postgres from "postgres";
import { column, type Params, placeholders, table } from "./prisma.ts";

/**
 * The guide's searchCourses: Promise.all of a findMany and a count with the same where clause.
 * - `{ title: { search: q } }` is Prisma's fullTextSearch on PostgreSQL, which compiles to
 *   `to_tsvector(concat_ws(' ', "title")) @@ to_tsquery($n)`: computed per row, so no index can
 *   serve it (idx_courses_fulltext_search is on the stored search_vector); OR-ed with the same
 *   on description.
 * - `_count: { enrollments: true }` is a LEFT JOIN to a GROUP BY over the whole enrollments
 *   table, as Prisma 5 writes relation counts.
 * - `instructor: { select: { name } }` is a follow-up `users WHERE id IN (...)` query.
 * So: findMany (2 statements in a chain) in parallel with the count (1).
 *
 * to_tsquery fails on raw text with spaces or operators (the guide passes what the user typed);
 * a Prisma user must send `word & word`, so the words are joined that way here (no prefixes).
 */

export interface GuideSearchInput {
  institutionId: string;
  query?: string | undefined;
  category?: string | undefined;
  difficulty?: string | undefined;
  page: number;
  limit: number;
}

function whereClause(input: GuideSearchInput, params: unknown[]): string {
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const parts = [
    `${column(courses, "institution_id")} = ${bind(input.institutionId)}`,
    `${column(courses, "status")} = CAST(${bind("PUBLISHED")}::text AS "public"."course_status")`,
  ];
  if (input.category) {
    parts.push(`${column(courses, "category")} = CAST(${bind(input.category)}::text AS "public"."course_category")`);
  }
  if (input.difficulty) {
    parts.push(
      `${column(courses, "difficulty")} = CAST(${bind(input.difficulty)}::text AS "public"."difficulty_level")`,
    );
  }
  if (input.query) {
    const tsquery = input.query.trim().split(/\s+/).join(" & ");
    parts.push(
      `(to_tsvector(concat_ws(' ', ${column(courses, "title")})) @@ to_tsquery(${bind(tsquery)})` +
        ` OR to_tsvector(concat_ws(' ', ${column(courses, "description")})) @@ to_tsquery(${bind(tsquery)}))`,
    );
  }
  return `(${parts.join(" AND ")})`;
}

async function findMany(sql: postgres.Sql, input: GuideSearchInput) {
  const params: unknown[] = [];
  const where = whereClause(input, params);
  params.push(input.limit, (input.page - 1) * input.limit);
  const rows = await sql.unsafe<Record<string, unknown>[]>(
    `SELECT ${["id", "title", "description", "category", "difficulty", "price", "estimated_hours", "instructor_id"]
      .map((c) => column(courses, c))
      .join(", ")},
            COALESCE("aggr_selection_0_Enrollment"."_aggr_count_enrollments", 0) AS "_aggr_count_enrollments"
       FROM ${table(courses)}
       LEFT JOIN (SELECT ${column(enrollments, "course_id")}, COUNT(*) AS "_aggr_count_enrollments"
                    FROM ${table(enrollments)} WHERE 1=1 GROUP BY ${column(enrollments, "course_id")})
              AS "aggr_selection_0_Enrollment" ON (${column(courses, "id")} = "aggr_selection_0_Enrollment"."course_id")
      WHERE ${where}
      ORDER BY ${column(courses, "published_at")} DESC, ${column(courses, "title")} ASC
      LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params as Params,
    { prepare: true },
  );
  const instructorIds = [...new Set(rows.map((r) => r.instructor_id as string))];
  const instructors = new Map<string, Record<string, unknown>>();
  if (instructorIds.length > 0) {
    const found = await sql.unsafe<Record<string, unknown>[]>(
      `SELECT ${column(users, "id")}, ${column(users, "name")} FROM ${table(users)}
        WHERE ${column(users, "id")} IN (${placeholders(1, instructorIds.length)}) OFFSET $${instructorIds.length + 1}`,
      [...instructorIds, 0] as Params,
      { prepare: true },
    );
    for (const u of found) instructors.set(u.id as string, u);
  }
  return rows.map(({ instructor_id, _aggr_count_enrollments, ...course }) => ({
    ...course,
    instructor: { name: instructors.get(instructor_id as string)?.name },
    _count: { enrollments: Number(_aggr_count_enrollments) },
  }));
}

async function count(sql: postgres.Sql, input: GuideSearchInput): Promise<number> {
  const params: unknown[] = [];
  const where = whereClause(input, params);
  params.push(0);
  const [row] = await sql.unsafe<{ _count: string }[]>(
    `SELECT COUNT(*) AS "_count" FROM (SELECT ${column(courses, "id")} FROM ${table(courses)}
      WHERE ${where} OFFSET $${params.length}) AS "sub"`,
    params as Params,
    { prepare: true },
  );
  return Number(row?._count ?? 0);
}

export async function guideSearchCourses(sql: postgres.Sql, input: GuideSearchInput) {
  const offset = (input.page - 1) * input.limit;
  const [found, total] = await Promise.all([findMany(sql, input), count(sql, input)]);
  return {
    courses: found,
    pagination: { page: input.page, limit: input.limit, total, hasMore: offset + input.limit < total },
  };
}
