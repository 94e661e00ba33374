import { keepPreviousData } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { Pager } from "../components/Pager.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { Empty, ErrorState, Loading } from "../components/states.tsx";
import { formatDate, formatNumber, label } from "../lib/format.ts";
import { useDebounced } from "../lib/hooks.ts";
import {
  CATEGORIES,
  type Category,
  DIFFICULTIES,
  type Difficulty,
  STATUS_FILTERS,
  type StatusFilter,
} from "../lib/search-params.ts";
import { STAFF_ROLES, useSession } from "../session.tsx";
import { trpc } from "../trpc.ts";

const route = getRouteApi("/courses");
const PAGE_SIZE = 20;

export function CoursesPage() {
  return (
    <RequireRole roles={STAFF_ROLES}>
      <Courses />
    </RequireRole>
  );
}

/**
 * Published courses are searched as you type (`search.courses`: full text, category, level,
 * enrollment counts). Other statuses, and an instructor's own courses, are listed by
 * `courses.list`, which filters by status only.
 */
function Courses() {
  const { role } = useSession();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const admin = role === "ADMIN";
  const status: StatusFilter = search.status ?? (admin ? "PUBLISHED" : "ANY");
  const searching = admin && status === "PUBLISHED";

  return (
    <section aria-labelledby="courses-heading">
      <div className="page-header">
        <h1 id="courses-heading">{admin ? "Courses" : "My courses"}</h1>
      </div>
      <div className="filters">
        <select
          aria-label="Status"
          value={status}
          onChange={(event) =>
            navigate({
              search: (previous) => ({ ...previous, status: event.target.value as StatusFilter, page: undefined }),
            })
          }
        >
          {STATUS_FILTERS.map((value) => (
            <option key={value} value={value}>
              {value === "ANY" ? "Any status" : label(value)}
            </option>
          ))}
        </select>
        {searching ? null : <span className="muted">Text, category and level search covers published courses.</span>}
      </div>
      {searching ? <CourseSearch /> : <CourseList status={status} />}
    </section>
  );
}

function CourseSearch() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [typed, setTyped] = useState(search.q ?? "");
  const query = useDebounced(typed.trim(), 250);

  // The typed text reaches the URL (and so the request) once typing pauses; a new question
  // starts again at its first page.
  useEffect(() => {
    if ((search.q ?? "") === query) return;
    navigate({ search: (previous) => ({ ...previous, q: query || undefined, page: undefined }), replace: true });
  }, [query, search.q, navigate]);

  const page = search.page ?? 1;
  const courses = trpc.search.courses.useQuery(
    {
      ...(search.q ? { query: search.q } : {}),
      ...(search.category ? { category: search.category } : {}),
      ...(search.difficulty ? { difficulty: search.difficulty } : {}),
      page,
      limit: PAGE_SIZE,
    },
    { placeholderData: keepPreviousData },
  );
  const result = courses.data;

  return (
    <>
      <search className="filters">
        <input
          type="search"
          aria-label="Search courses"
          placeholder="Search by title or description"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
        <select
          aria-label="Category"
          value={search.category ?? ""}
          onChange={(event) =>
            navigate({
              search: (previous) => ({
                ...previous,
                category: (event.target.value || undefined) as Category | undefined,
                page: undefined,
              }),
            })
          }
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
          value={search.difficulty ?? ""}
          onChange={(event) =>
            navigate({
              search: (previous) => ({
                ...previous,
                difficulty: (event.target.value || undefined) as Difficulty | undefined,
                page: undefined,
              }),
            })
          }
        >
          <option value="">All levels</option>
          {DIFFICULTIES.map((value) => (
            <option key={value} value={value}>
              {label(value)}
            </option>
          ))}
        </select>
      </search>

      {courses.error ? <ErrorState error={courses.error} retry={() => courses.refetch()} /> : null}
      {courses.isPending ? <Loading>Searching…</Loading> : null}

      {result ? (
        <>
          <p aria-live="polite" className="summary">
            {result.pagination.total === 1 ? "1 course" : `${formatNumber(result.pagination.total)} courses`}
            {courses.isFetching ? " (updating…)" : ""}
          </p>
          {result.courses.length === 0 ? (
            <Empty>
              No published course matches
              {search.q ? ` “${search.q}”` : ""}
              {search.category || search.difficulty ? " with these filters" : ""}.
            </Empty>
          ) : (
            <div className="table-scroll" aria-busy={courses.isFetching}>
              <table className="courses-table">
                <thead>
                  <tr>
                    <th scope="col">Title</th>
                    <th scope="col">Category</th>
                    <th scope="col">Level</th>
                    <th scope="col" className="wide-only">
                      Instructor
                    </th>
                    <th scope="col" className="number">
                      Enrollments
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.courses.map((course) => (
                    <tr key={course.id}>
                      <td>
                        <Link to="/courses/$courseId" params={{ courseId: course.id }}>
                          {course.title}
                        </Link>
                      </td>
                      <td>{label(course.category)}</td>
                      <td>{label(course.difficulty)}</td>
                      <td className="wide-only">{course.instructor.name}</td>
                      <td className="number">{formatNumber(course.enrollmentCount)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager
            pagination={result.pagination}
            busy={courses.isFetching}
            onPage={(next) => navigate({ search: (previous) => ({ ...previous, page: next > 1 ? next : undefined }) })}
          />
        </>
      ) : null}
    </>
  );
}

function CourseList({ status }: { status: StatusFilter }) {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const page = search.page ?? 1;
  const courses = trpc.courses.list.useQuery(
    { ...(status === "ANY" ? {} : { status }), page, limit: PAGE_SIZE },
    { placeholderData: keepPreviousData },
  );
  const result = courses.data;
  if (courses.error) return <ErrorState error={courses.error} retry={() => courses.refetch()} />;
  if (!result) return <Loading>Loading courses…</Loading>;
  return (
    <>
      <p aria-live="polite" className="summary">
        {result.pagination.total === 1 ? "1 course" : `${formatNumber(result.pagination.total)} courses`}, most recently
        changed first{courses.isFetching ? " (updating…)" : ""}
      </p>
      {result.courses.length === 0 ? (
        <Empty>No {status === "ANY" ? "" : `${label(status).toLowerCase()} `}course.</Empty>
      ) : (
        <div className="table-scroll" aria-busy={courses.isFetching}>
          <table className="courses-table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Category</th>
                <th scope="col" className="wide-only">
                  Instructor
                </th>
                <th scope="col" className="wide-only">
                  Changed
                </th>
              </tr>
            </thead>
            <tbody>
              {result.courses.map((course) => (
                <tr key={course.id}>
                  <td>
                    <Link to="/courses/$courseId" params={{ courseId: course.id }}>
                      {course.title}
                    </Link>
                  </td>
                  <td>
                    <span className={`badge status-${course.status.toLowerCase()}`}>{label(course.status)}</span>
                  </td>
                  <td>{label(course.category)}</td>
                  <td className="wide-only">{course.instructor.name}</td>
                  <td className="wide-only">{formatDate(course.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        pagination={result.pagination}
        busy={courses.isFetching}
        onPage={(next) => navigate({ search: (previous) => ({ ...previous, page: next > 1 ? next : undefined }) })}
      />
    </>
  );
}
