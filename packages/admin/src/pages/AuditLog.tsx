import { keepPreviousData } from "@tanstack/react-query";
import { useState } from "react";
import { CursorPager, useCursorPages } from "../components/Pager.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { Empty, ErrorState, Loading } from "../components/states.tsx";
import { formatDateTime } from "../lib/format.ts";
import { ADMIN_ONLY } from "../session.tsx";
import { trpc } from "../trpc.ts";

const PAGE_SIZE = 25;

// Kinds of action (a trailing dot selects every action of the kind: `user.` = user.create, ...).
const KINDS = [
  { value: "", label: "Every action" },
  { value: "user.", label: "People" },
  { value: "course.", label: "Courses" },
  { value: "enrollment.", label: "Enrollments" },
  { value: "grade.", label: "Grades" },
  { value: "privacy.", label: "Exports and erasures" },
  { value: "api_token.", label: "API tokens" },
  { value: "job.", label: "Jobs run by hand" },
] as const;

export function AuditLogPage() {
  return (
    <RequireRole roles={ADMIN_ONLY}>
      <AuditLog />
    </RequireRole>
  );
}

/** Who did what to what, newest first (`audit.list`, keyset pages). Append-only: nobody edits it. */
function AuditLog() {
  const [action, setAction] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const pages = useCursorPages();
  const { cursor } = pages;
  const entries = trpc.audit.list.useQuery(
    {
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
      ...(action ? { action } : {}),
      // Whole days in the viewer's zone: from the start of `from` to the end of `to`.
      ...(from ? { from: new Date(`${from}T00:00:00`) } : {}),
      ...(to ? { to: new Date(new Date(`${to}T00:00:00`).getTime() + 86_400_000) } : {}),
    },
    { placeholderData: keepPreviousData },
  );
  const { restart } = pages;
  const result = entries.data;

  return (
    <section aria-labelledby="audit-heading">
      <div className="page-header">
        <h1 id="audit-heading">Audit log</h1>
        <p className="muted">
          Every administrative change, export and erasure, with who made it. Entries hold ids and field names, never
          personal values, and cannot be changed or deleted.
        </p>
      </div>
      <div className="filters">
        <select
          aria-label="Kind of action"
          value={action}
          onChange={(event) => {
            setAction(event.target.value);
            restart();
          }}
        >
          {KINDS.map((kind) => (
            <option key={kind.value} value={kind.value}>
              {kind.label}
            </option>
          ))}
        </select>
        <label>
          From{" "}
          <input
            type="date"
            value={from}
            onChange={(event) => {
              setFrom(event.target.value);
              restart();
            }}
          />
        </label>
        <label>
          To{" "}
          <input
            type="date"
            value={to}
            onChange={(event) => {
              setTo(event.target.value);
              restart();
            }}
          />
        </label>
      </div>
      {entries.error ? <ErrorState error={entries.error} retry={() => entries.refetch()} what="The audit log" /> : null}
      {entries.isPending ? <Loading>Loading the audit log…</Loading> : null}
      {result ? (
        result.entries.length === 0 ? (
          <Empty>No entry{action || from || to ? " matches these filters" : " yet"}.</Empty>
        ) : (
          <>
            <div className="table-scroll" aria-busy={entries.isFetching}>
              <table className="audit-table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col" className="wide-only">
                      Details
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.entries.map((entry) => (
                    <tr key={entry.id}>
                      <td>{formatDateTime(entry.at)}</td>
                      <td>
                        {entry.actor.name ?? (entry.actor.tokenId ? "an API token" : "the system")}
                        {entry.actor.tokenId ? <div className="muted">through an API token</div> : null}
                      </td>
                      <td>
                        <code>{entry.action}</code>
                      </td>
                      <td>
                        {entry.targetType}
                        {entry.targetId ? <div className="muted id">{entry.targetId}</div> : null}
                      </td>
                      <td className="wide-only">
                        {Object.keys(entry.details).length ? (
                          <code className="statement">{JSON.stringify(entry.details)}</code>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <CursorPager
              pages={pages}
              pagination={result.pagination}
              busy={entries.isFetching}
              labels={["← Newer", "Older →"]}
            />
          </>
        )
      ) : null}
    </section>
  );
}
