import { keepPreviousData } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { CursorPager, useCursorPages } from "../components/Pager.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { Empty, ErrorState, Loading } from "../components/states.tsx";
import { formatDate } from "../lib/format.ts";
import { useDebounced } from "../lib/hooks.ts";
import { ADMIN_ONLY } from "../session.tsx";
import { trpc } from "../trpc.ts";

const route = getRouteApi("/students");
const PAGE_SIZE = 20;

export function StudentsPage() {
  return (
    <RequireRole roles={ADMIN_ONLY}>
      <FindStudent />
    </RequireRole>
  );
}

/**
 * Students by the start of their name or email (`users.list`, keyset pages: "Next" follows the
 * server's cursor, "Previous" goes back along the cursors already seen).
 */
function FindStudent() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [typed, setTyped] = useState(search.q ?? "");
  const query = useDebounced(typed.trim(), 250);
  const pages = useCursorPages();

  useEffect(() => {
    if ((search.q ?? "") === query) return;
    navigate({ search: { q: query || undefined }, replace: true });
  }, [query, search.q, navigate]);
  // A new question starts at its first page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on every new question
  useEffect(() => pages.restart(), [search.q]);

  const q = search.q ?? "";
  const { cursor } = pages;
  const students = trpc.users.list.useQuery(
    {
      role: "STUDENT",
      ...(q ? (q.includes("@") ? { emailPrefix: q } : { namePrefix: q }) : {}),
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    },
    { placeholderData: keepPreviousData },
  );
  const result = students.data;

  return (
    <section aria-labelledby="students-heading">
      <div className="page-header">
        <h1 id="students-heading">Students</h1>
        <p className="muted">
          Find a student to see their dashboard, enroll or drop them, or export or erase their data.
        </p>
      </div>
      <search className="filters">
        <input
          type="search"
          aria-label="Find a student"
          placeholder="Start of a name, or of an email address"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
      </search>
      {students.error ? <ErrorState error={students.error} retry={() => students.refetch()} /> : null}
      {students.isPending ? <Loading>Looking for students…</Loading> : null}
      {result ? (
        result.users.length === 0 ? (
          <Empty>
            {q ? `No student whose name or email starts with “${q}”.` : "No student in this institution yet."}
          </Empty>
        ) : (
          <>
            <div className="table-scroll" aria-busy={students.isFetching}>
              <table className="students-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="wide-only">
                      Last sign-in
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.users.map((user) => (
                    <tr key={user.id}>
                      <td>
                        <Link to="/students/$studentId" params={{ studentId: user.id }}>
                          {user.name}
                        </Link>
                      </td>
                      <td>{user.email}</td>
                      <td>{user.isActive ? "Active" : "Deactivated"}</td>
                      <td className="wide-only">{user.lastLoginAt ? formatDate(user.lastLoginAt) : "never"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <CursorPager pages={pages} pagination={result.pagination} busy={students.isFetching} />
          </>
        )
      ) : null}
    </section>
  );
}
