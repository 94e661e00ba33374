import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type RouterInputs, trpc } from "./trpc.ts";

type SearchInput = RouterInputs["search"]["courses"];
type Category = NonNullable<SearchInput["category"]>;
type Difficulty = NonNullable<SearchInput["difficulty"]>;

// Checked against the API's input schema: a value the server does not accept fails to compile.
const CATEGORIES = [
  "PROGRAMMING",
  "DATA_SCIENCE",
  "MATHEMATICS",
  "SCIENCE",
  "BUSINESS",
  "DESIGN",
  "LANGUAGES",
  "HUMANITIES",
] as const satisfies readonly Category[];
const DIFFICULTIES = ["BEGINNER", "INTERMEDIATE", "ADVANCED"] as const satisfies readonly Difficulty[];
const PAGE_SIZE = 20;

/** DATA_SCIENCE -> "Data science" */
function label(value: string): string {
  const words = value.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The value after the user has stopped typing for `ms`, so each keystroke is not a request. */
function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/** Published courses: full-text search, filters, pages; calls `search.courses`. */
export function CourseSearch() {
  const [text, setText] = useState("");
  const [category, setCategory] = useState<Category | "">("");
  const [difficulty, setDifficulty] = useState<Difficulty | "">("");
  // Every change of the question starts again at its first page.
  const [page, setPage] = useState(1);
  const query = useDebounced(text.trim(), 250);

  const input: SearchInput = {
    ...(query ? { query } : {}),
    ...(category ? { category } : {}),
    ...(difficulty ? { difficulty } : {}),
    page,
    limit: PAGE_SIZE,
  };
  const search = trpc.search.courses.useQuery(input, { placeholderData: keepPreviousData });
  const result = search.data;
  const pageCount = result ? Math.max(1, Math.ceil(result.pagination.total / result.pagination.limit)) : 1;

  return (
    <section aria-labelledby="courses-heading">
      <h2 id="courses-heading">Courses</h2>
      <search className="filters">
        <input
          type="search"
          aria-label="Search courses"
          placeholder="Search published courses by title or description"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setPage(1);
          }}
        />
        <select
          aria-label="Category"
          value={category}
          onChange={(event) => {
            setCategory(event.target.value as Category | "");
            setPage(1);
          }}
        >
          <option value="">All categories</option>
          {CATEGORIES.map((value) => (
            <option key={value} value={value}>
              {label(value)}
            </option>
          ))}
        </select>
        <select
          aria-label="Difficulty"
          value={difficulty}
          onChange={(event) => {
            setDifficulty(event.target.value as Difficulty | "");
            setPage(1);
          }}
        >
          <option value="">All levels</option>
          {DIFFICULTIES.map((value) => (
            <option key={value} value={value}>
              {label(value)}
            </option>
          ))}
        </select>
      </search>

      {search.error ? (
        <p role="alert" className="error">
          Search failed: {search.error.message}
        </p>
      ) : null}
      {search.isPending ? <p aria-live="polite">Searching…</p> : null}

      {result ? (
        <>
          <p aria-live="polite" className="summary">
            {result.pagination.total === 1 ? "1 course" : `${result.pagination.total.toLocaleString()} courses`}
            {search.isFetching ? " (updating…)" : ""}
          </p>
          {result.courses.length === 0 ? (
            <p>No published course matches.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Category</th>
                  <th scope="col">Level</th>
                  <th scope="col">Instructor</th>
                  <th scope="col" className="number">
                    Enrollments
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.courses.map((course) => (
                  <tr key={course.id}>
                    <td>{course.title}</td>
                    <td>{label(course.category)}</td>
                    <td>{label(course.difficulty)}</td>
                    <td>{course.instructor.name}</td>
                    <td className="number">{course.enrollmentCount.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={page <= 1} onClick={() => setPage((current) => current - 1)}>
              Previous
            </button>
            <span>
              Page {result.pagination.page} of {pageCount.toLocaleString()}
            </span>
            <button
              type="button"
              disabled={!result.pagination.hasMore}
              onClick={() => setPage((current) => current + 1)}
            >
              Next
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}
