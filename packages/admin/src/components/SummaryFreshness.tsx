import { describeError } from "../lib/errors.ts";
import { formatAge, formatDateTime, formatNumber } from "../lib/format.ts";
import { useNow } from "../lib/hooks.ts";
import { trpc } from "../trpc.ts";

/**
 * When the materialized course summary was last refreshed, and a button to refresh it now
 * (admins only: the refresh recomputes every course of every institution on the server).
 */
export function SummaryFreshness({ refreshedAt, canRefresh }: { refreshedAt: Date; canRefresh: boolean }) {
  const utils = trpc.useUtils();
  useNow(15_000);
  const refresh = trpc.analytics.refreshSummary.useMutation({
    onSuccess: () => utils.analytics.summary.invalidate(),
  });
  return (
    <div className="freshness" data-testid="summary-freshness">
      <p>
        Figures as of <time dateTime={refreshedAt.toISOString()}>{formatDateTime(refreshedAt)}</time>{" "}
        <span className="muted" data-testid="summary-age">
          ({formatAge(refreshedAt)})
        </span>
        . The summary is recomputed on a schedule; enrollments and progress since then are not in it yet.
      </p>
      {canRefresh ? (
        <div className="freshness-actions">
          <button
            type="button"
            onClick={() => refresh.mutate({ concurrently: true })}
            disabled={refresh.isPending}
            aria-busy={refresh.isPending}
          >
            {refresh.isPending ? (
              <>
                <span className="spinner" aria-hidden="true" /> Refreshing the summary…
              </>
            ) : (
              "Refresh now"
            )}
          </button>
          <span aria-live="polite" className="muted">
            {refresh.isPending ? "Recomputing every course's figures; readers keep the previous ones meanwhile." : null}
            {refresh.data
              ? `Refreshed in ${formatNumber(Math.round(refresh.data.durationMs))} ms (${formatNumber(refresh.data.rows)} courses).`
              : null}
          </span>
          {refresh.error ? (
            <p role="alert" className="error">
              The refresh failed: {describeError(refresh.error)}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
