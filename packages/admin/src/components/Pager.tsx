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
