import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { courseCategory, type courses, difficultyLevel, type users } from "../schema/index.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";

/** Longer text is refused by validation (it would not fit a GET URL anyway). */
export const MAX_QUERY_LENGTH = 4_000;
/** Only the first words of a query are searched: each one is ANDed, so more only narrow to nothing. */
export const MAX_QUERY_WORDS = 32;

export const searchCoursesInput = z.strictObject({
  query: z.string().max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`).optional(),
  category: z.enum(courseCategory.enumValues).optional(),
  difficulty: z.enum(difficultyLevel.enumValues).optional(),
  institutionId: z.guid("must be a UUID").optional(),
  ...paginationFields,
});
export type SearchCoursesInput = z.output<typeof searchCoursesInput>;

type Course = typeof courses.$inferSelect;

export type CourseSearchResult = Pick<
  Course,
  "id" | "title" | "slug" | "description" | "category" | "difficulty" | "price" | "estimatedHours" | "institutionId"
> & {
  publishedAt: Date;
  instructor: Pick<typeof users.$inferSelect, "name">;
  /** Enrollments of every status but DROPPED (see the statement). */
  enrollmentCount: number;
  /** Full-text rank (title matches weigh more); null without a query. */
  rank: number | null;
  /**
   * HTML: an excerpt of the description, text escaped, matched words in `<mark>`; null
   * without a query.
   */
  snippet: string | null;
};

export interface CourseSearchResults {
  courses: CourseSearchResult[];
  pagination: Pagination;
}

/**
 * Turns what a person typed into a tsquery that cannot fail to parse: the words (letters,
 * digits, combining marks) ANDed, each a prefix (`calc` finds "Calculus"). Every tsquery
 * operator (`& | ! ( ) : * < > ' \`) is a separator here, so `c++`, `"quoted"`, `a:*` or
 * emoji are plain text. A one-letter word stays exact: as a prefix it would match most of the
 * vocabulary (`c++` means C, not every word starting with c). to_tsquery still stems and drops
 * stop words, so a query of only stop words matches nothing. Null when no word is left.
 * Known limit of prefix + stemming: a partial word whose stem is not a prefix of the
 * document's stem ("runn" vs "run") finds nothing.
 */
export function prefixTsquery(text: string): string | null {
  const words = text
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{M}]+/u)
    .filter((word) => word.length > 0);
  const distinct = [...new Set(words)].slice(0, MAX_QUERY_WORDS);
  if (distinct.length === 0) return null;
  return distinct.map((word) => (word.length > 1 ? `${word}:*` : word)).join(" & ");
}

// ts_headline marks matches with two private-use characters that no description can hold (they
// are removed from it first); the excerpt is then HTML-escaped and the marks become <mark>, so a
// description containing markup can never inject it into a page that renders the snippet.
const MARK_START = "\uE000";
const MARK_END = "\uE001";
const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;

function snippetHtml(headline: string): string {
  return headline
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll(MARK_START, "<mark>")
    .replaceAll(MARK_END, "</mark>");
}

interface SearchRow {
  total: number;
  courses: Array<
    Omit<CourseSearchResult, "publishedAt" | "snippet"> & { publishedAt: string; headline: string | null }
  >;
}

/**
 * Published courses, full-text ranked with a query, else newest published first then title.
 * One statement: `matches` is every course that passes the filters (and the query, through
 * the GIN index idx_courses_fulltext_search on the weighted search_vector), counted for the
 * total; only the page's rows are joined to the instructor, counted for enrollments and
 * highlighted (ts_headline parses the whole description, so never for rows off the page).
 * A page past the end still returns the total (the count does not depend on the page's rows).
 * The guide's version sends two statements (page, count), searches title and description
 * separately so that its GIN expression index is never used, ranks nothing, and hands the raw
 * text to to_tsquery (`c++` or `(` is a syntax error); its `_count.enrollments` also counts
 * DROPPED enrollments.
 */
export async function searchCourses(db: Database, input: SearchCoursesInput): Promise<CourseSearchResults> {
  const text = input.query?.trim();
  const tsquery = text ? prefixTsquery(text) : null;
  // Text with no searchable word (only punctuation, emoji): nothing can match it.
  if (text && !tsquery) return { courses: [], pagination: paginate(input, 0) };

  const filters: SQL[] = [sql`c.status = 'PUBLISHED'`];
  if (input.institutionId) filters.push(sql`c.institution_id = ${input.institutionId}`);
  if (input.category) filters.push(sql`c.category = ${input.category}`);
  if (input.difficulty) filters.push(sql`c.difficulty = ${input.difficulty}`);
  const where = sql.join(filters, sql` and `);

  // With a query: the tsquery is parsed once (a one-row CTE, not per row), matches are ranked
  // with ts_rank and the default weights (A 1.0 for the title, B 0.4 for the description), so
  // one title hit outranks several description hits (ts_rank_cd would not: it sums covers).
  // Without one, the planner is free to inline `matches` into each use (NOT MATERIALIZED).
  const search = tsquery ? sql`search as materialized (select to_tsquery('english', ${tsquery}) as query),` : sql``;
  const matches = tsquery
    ? sql`matches as materialized (
        select c.id, c.published_at, c.title, ts_rank(c.search_vector, s.query) as rank
        from courses c cross join search s
        where ${where} and c.search_vector @@ s.query
      )`
    : sql`matches as not materialized (
        select c.id, c.published_at, c.title, null::real as rank
        from courses c
        where ${where}
      )`;
  // Ties broken by title, then id, so that pages never overlap or skip a row.
  const orderOf = (m: SQL) =>
    tsquery
      ? sql`${m}.rank desc, ${m}.published_at desc, ${m}.title, ${m}.id`
      : sql`${m}.published_at desc, ${m}.title, ${m}.id`;
  const headline = tsquery
    ? sql`ts_headline('english', translate(c.description, ${MARK_START + MARK_END}, ''),
          (select query from search), ${HEADLINE_OPTIONS})`
    : sql`null::text`;

  const row = await queryOne<SearchRow>(
    db,
    sql`
      with ${search} ${matches},
      page as (
        select * from matches m
        order by ${orderOf(sql`m`)}
        limit ${input.limit} offset ${pageOffset(input)}
      )
      select
        (select count(*)::int from matches) as total,
        (select coalesce(json_agg(json_build_object(
            'id', c.id,
            'title', c.title,
            'slug', c.slug,
            'description', c.description,
            'category', c.category,
            'difficulty', c.difficulty,
            'price', c.price::text, -- numeric as text: exact (a JSON number would be a float)
            'estimatedHours', c.estimated_hours,
            'publishedAt', c.published_at,
            'institutionId', c.institution_id,
            'instructor', json_build_object('name', i.name),
            'enrollmentCount', enrolled.count,
            'rank', p.rank,
            'headline', ${headline})
            order by ${orderOf(sql`p`)}), '[]'::json)
          from page p
          join courses c on c.id = p.id
          join users i on i.id = c.instructor_id
          -- Learners in the course: ACTIVE, COMPLETED and SUSPENDED (suspension is temporary),
          -- not DROPPED: a withdrawn student is no longer enrolled, and counting withdrawals
          -- would reward courses people leave. Answered from enrollments_course_id_status_idx.
          cross join lateral (
            select count(*)::int as count from enrollments e
            where e.course_id = c.id and e.status <> 'DROPPED'
          ) enrolled
        ) as courses
    `,
  );
  const total = row?.total ?? 0;
  return {
    courses: (row?.courses ?? []).map(({ headline: excerpt, ...course }) => ({
      ...course,
      publishedAt: new Date(course.publishedAt),
      snippet: excerpt === null ? null : snippetHtml(excerpt),
    })),
    pagination: paginate(input, total),
  };
}
