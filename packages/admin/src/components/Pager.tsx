import { useCallback, useState } from "react";
import { formatNumber } from "../lib/format.ts";

interface Pagination {
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}

export function Pager({
  pagination,
  onPage,
  busy,
}: {
  pagination: Pagination;
  onPage: (page: number) => void;
  busy?: boolean;
}) {
  const pages = Math.max(1, Math.ceil(pagination.total / pagination.limit));
  if (pages <= 1 && pagination.page <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={pagination.page <= 1 || busy} onClick={() => onPage(pagination.page - 1)}>
        ← Previous
      </button>
      <span>
        Page {formatNumber(pagination.page)} of {formatNumber(pages)}
      </span>
      <button type="button" disabled={!pagination.hasMore || busy} onClick={() => onPage(pagination.page + 1)}>
        Next →
      </button>
    </nav>
  );
}

/**
 * Keyset pages (the `nextCursor` envelope of packages/db/src/queries/pagination.ts): the cursors
 * of the pages walked so far, so that "back" needs no cursor of its own. `cursor` goes into the
 * query's input; `restart` when the question changes.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>([]);
  const restart = useCallback(() => setCursors([]), []);
  const back = useCallback(() => setCursors((previous) => previous.slice(0, -1)), []);
  const forward = useCallback((next: string) => setCursors((previous) => [...previous, next]), []);
  return { cursor: cursors.at(-1), page: cursors.length + 1, restart, back, forward };
}

export function CursorPager({
  pages,
  pagination,
  busy,
  labels = ["← Previous", "Next →"],
}: {
  pages: ReturnType<typeof useCursorPages>;
  pagination: { hasMore: boolean; nextCursor: string | null };
  busy?: boolean;
  /** Back and forward: "← Newer" and "Older →" for a list newest first. */
  labels?: [string, string];
}) {
  const { nextCursor } = pagination;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={pages.page === 1 || busy} onClick={pages.back}>
        {labels[0]}
      </button>
      <span>Page {formatNumber(pages.page)}</span>
      <button
        type="button"
        disabled={!pagination.hasMore || !nextCursor || busy}
        onClick={() => nextCursor && pages.forward(nextCursor)}
      >
        {labels[1]}
      </button>
    </nav>
  );
}
