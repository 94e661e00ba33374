import { keepPreviousData } from "@tanstack/react-query";
import { useState } from "react";
import { Figure, Figures } from "../components/Figure.tsx";
import { Pager } from "../components/Pager.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { SummaryFreshness } from "../components/SummaryFreshness.tsx";
import { Empty, QueryState } from "../components/states.tsx";
import { describeError } from "../lib/errors.ts";
import { formatAge, formatBytes, formatDate, formatDateTime, formatDuration, formatNumber } from "../lib/format.ts";
import { ADMIN_ONLY } from "../session.tsx";
import { type RouterOutputs, trpc } from "../trpc.ts";

type JobName = RouterOutputs["ops"]["jobs"]["jobs"][number]["job"];

export function HealthPage() {
  return (
    <RequireRole roles={ADMIN_ONLY}>
      <section aria-labelledby="health-heading">
        <div className="page-header">
          <h1 id="health-heading">Database health</h1>
          <p className="muted">
            What to look at when a dashboard feels slow: connections and cache, slow statements, background jobs, and
            the state of the tables and indexes.
          </p>
        </div>
        <Runtime />
        <SlowQueries />
        <Alerts />
        <MaterializedViews />
        <Jobs />
        <Partitions />
        <IndexUsage />
      </section>
    </RequireRole>
  );
}

const percent = (ratio: number | null) => (ratio === null ? "—" : `${(ratio * 100).toFixed(1)} %`);

/** This server process's connection pools and cache (`ops.runtime`), refreshed every 10 s. */
function Runtime() {
  const runtime = trpc.ops.runtime.useQuery(undefined, { refetchInterval: 10_000 });
  return (
    <section className="panel" aria-labelledby="runtime-heading">
      <h2 id="runtime-heading">Connections and cache</h2>
      <QueryState query={runtime} what="The server's pool and cache figures">
        {(data) => (
          <>
            <Figures>
              <Figure
                label="Cache hit rate"
                value={percent(data.cache.hitRate)}
                note={`${formatNumber(data.cache.hits)} hits, ${formatNumber(data.cache.misses)} misses (${data.cache.mode})`}
              />
              {data.pools.map((pool) => (
                <Figure
                  key={pool.database}
                  label={`Pool in use (${pool.database})`}
                  value={`${pool.inUse} / ${pool.size}`}
                  note={`${percent(pool.utilisation)} busy, ${formatNumber(pool.waiting)} waiting · ${pool.driver}`}
                />
              ))}
              <Figure label="Server up for" value={formatDuration(data.uptimeSeconds)} />
            </Figures>
            <p className="muted">
              Figures of the server process answering; they move as requests come in.
              {data.cache.bypasses || data.cache.errors
                ? ` The cache was bypassed ${formatNumber(data.cache.bypasses)} times and failed ${formatNumber(data.cache.errors)} times: answers came from the database.`
                : ""}
            </p>
          </>
        )}
      </QueryState>
    </section>
  );
}

function MaterializedViews() {
  const summary = trpc.analytics.summary.useQuery({ page: 1, limit: 1 });
  return (
    <section className="panel" aria-labelledby="mv-heading">
      <h2 id="mv-heading">Materialized views</h2>
      <QueryState query={summary} what="The summary's freshness">
        {(data) => (
          <>
            <p>
              <strong>course_performance_summary</strong> — per-course totals behind the course pages and the overview's
              course list ({formatNumber(data.pagination.total)} published courses of your institution).
            </p>
            <SummaryFreshness refreshedAt={data.refreshedAt} canRefresh />
          </>
        )}
      </QueryState>
    </section>
  );
}

const RUNS_PAGE = 10;

/** Scheduled jobs (`ops.jobs`): schedule, last outcome, recent runs; "Run now" where allowed. */
function Jobs() {
  const utils = trpc.useUtils();
  const [page, setPage] = useState(1);
  const jobs = trpc.ops.jobs.useQuery({ page, limit: RUNS_PAGE }, { placeholderData: keepPreviousData });
  const [running, setRunning] = useState<JobName | null>(null);
  const run = trpc.ops.runJob.useMutation({
    onSettled: async () => {
      setRunning(null);
      await Promise.all([utils.ops.jobs.invalidate(), utils.analytics.summary.invalidate()]);
    },
  });
  return (
    <section className="panel" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Background jobs</h2>
      <QueryState query={jobs} what="The jobs">
        {(data) => (
          <>
            {!data.enabled ? (
              <p className="notice">
                This server process runs no schedule (JOBS=off); jobs run only when started here.
              </p>
            ) : null}
            {run.error ? (
              <p role="alert" className="error">
                The job could not start: {describeError(run.error)}
              </p>
            ) : null}
            {run.data ? (
              <p role="status" className={run.data.outcome === "failed" ? "error" : "success"}>
                {run.data.job}: {run.data.outcome}
                {run.data.durationMs !== null ? ` in ${formatNumber(Math.round(run.data.durationMs))} ms` : ""}
                {run.data.rowsTouched !== null ? `, ${formatNumber(run.data.rowsTouched)} rows` : ""}
                {run.data.error ? ` — ${run.data.error}` : ""}.
              </p>
            ) : null}
            <div className="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col" className="wide-only">
                      Schedule
                    </th>
                    <th scope="col">Last run</th>
                    <th scope="col">Next run</th>
                    <th scope="col">
                      <span className="visually-hidden">Action</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.jobs.map((job) => (
                    <tr key={job.job}>
                      <td>
                        <strong>{job.job}</strong>
                        <div className="muted">{job.description}</div>
                      </td>
                      <td className="wide-only">
                        {job.schedule ? (
                          <code>
                            {job.schedule} ({job.timezone})
                          </code>
                        ) : (
                          "not scheduled"
                        )}
                      </td>
                      <td>
                        {job.lastRun ? (
                          <>
                            <span className={`badge outcome-${job.lastRun.outcome}`}>{job.lastRun.outcome}</span>{" "}
                            {formatAge(job.lastRun.startedAt)}
                            {job.lastRun.durationMs !== null ? (
                              <div className="muted">{formatNumber(Math.round(job.lastRun.durationMs))} ms</div>
                            ) : null}
                          </>
                        ) : (
                          "never"
                        )}
                      </td>
                      <td>{job.available ? formatDateTime(job.nextRunAt) : "not available in this build"}</td>
                      <td>
                        {job.onDemand === "admin" && job.available ? (
                          <button
                            type="button"
                            disabled={running !== null}
                            aria-busy={running === job.job}
                            onClick={() => {
                              setRunning(job.job);
                              run.mutate({ job: job.job });
                            }}
                          >
                            {running === job.job ? (
                              <>
                                <span className="spinner" aria-hidden="true" /> Running…
                              </>
                            ) : (
                              "Run now"
                            )}
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>Recent runs</h3>
            {data.runs.length === 0 ? (
              <Empty>No job has run yet.</Empty>
            ) : (
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Job</th>
                      <th scope="col">Started</th>
                      <th scope="col">Outcome</th>
                      <th scope="col" className="number">
                        Duration
                      </th>
                      <th scope="col" className="number">
                        Rows
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.runs.map((runRecord) => (
                      <tr key={runRecord.id}>
                        <td>
                          {runRecord.job}
                          <div className="muted">{runRecord.trigger === "manual" ? "run by hand" : "scheduled"}</div>
                        </td>
                        <td>{formatDateTime(runRecord.startedAt)}</td>
                        <td>
                          <span className={`badge outcome-${runRecord.outcome}`}>{runRecord.outcome}</span>
                          {runRecord.error ? <div className="error">{runRecord.error}</div> : null}
                        </td>
                        <td className="number">
                          {runRecord.durationMs === null ? "—" : `${formatNumber(Math.round(runRecord.durationMs))} ms`}
                        </td>
                        <td className="number">
                          {runRecord.rowsTouched === null ? "—" : formatNumber(runRecord.rowsTouched)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <Pager pagination={data.pagination} onPage={setPage} busy={jobs.isFetching} />
          </>
        )}
      </QueryState>
    </section>
  );
}

const SHORT_LIST = 12;

/** progress_history's monthly partitions (`ops.partitions`). */
function Partitions() {
  const partitions = trpc.ops.partitions.useQuery();
  const [showAll, setShowAll] = useState(false);
  return (
    <section className="panel" aria-labelledby="partitions-heading">
      <h2 id="partitions-heading">Progress history partitions</h2>
      <QueryState query={partitions} what="The partitions">
        {(data) =>
          data.partitions.length === 0 ? (
            <Empty>No partition: the progress history table has not been created on this database.</Empty>
          ) : (
            <>
              <p className="muted">
                {formatNumber(data.partitions.length)} partitions, {formatBytes(data.totalBytes)} in all. Rows are the
                planner's estimates.
              </p>
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Partition</th>
                      <th scope="col">Months</th>
                      <th scope="col" className="number">
                        Rows
                      </th>
                      <th scope="col" className="number">
                        Size
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {(showAll ? data.partitions : data.partitions.slice(-SHORT_LIST)).map((partition) => (
                      <tr key={partition.name}>
                        <td>
                          <code>{partition.name}</code>
                        </td>
                        <td>
                          {partition.isDefault
                            ? "anything outside the monthly partitions"
                            : `${formatDate(partition.from)} to ${formatDate(partition.to)}`}
                        </td>
                        <td className="number">{formatNumber(Math.max(0, partition.rows))}</td>
                        <td className="number">{formatBytes(partition.bytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {!showAll && data.partitions.length > SHORT_LIST ? (
                <button type="button" className="link-button" onClick={() => setShowAll(true)}>
                  Show the {formatNumber(data.partitions.length - SHORT_LIST)} older partitions
                </button>
              ) : null}
            </>
          )
        }
      </QueryState>
    </section>
  );
}

/** Unused and redundant indexes (`ops.indexUsage`): write cost and space for nothing. */
function IndexUsage() {
  const usage = trpc.ops.indexUsage.useQuery({ minUnusedBytes: 0 });
  const [showAll, setShowAll] = useState(false);
  return (
    <section className="panel" aria-labelledby="indexes-heading">
      <h2 id="indexes-heading">Index usage</h2>
      <QueryState query={usage} what="The index usage">
        {(data) => (
          <>
            <p className="muted">
              Scans counted{" "}
              {data.statsSince ? `since ${formatDateTime(data.statsSince)}` : "since the database was created"}. An
              index never scanned still costs every write; one covered by another is never needed.
            </p>
            <h3>Redundant indexes</h3>
            {data.redundant.length === 0 ? (
              <Empty>No index is covered by another. Good.</Empty>
            ) : (
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Index</th>
                      <th scope="col">Covered by</th>
                      <th scope="col" className="number">
                        Size
                      </th>
                      <th scope="col" className="number">
                        Scans
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.redundant.map((index) => (
                      <tr key={index.index}>
                        <td>
                          <code>{index.index}</code> <span className="muted">on {index.table}</span>
                          {index.duplicate ? <div className="error">exact duplicate</div> : null}
                          {index.enforcesConstraint ? <div className="muted">enforces a constraint</div> : null}
                        </td>
                        <td>
                          <code>{index.coveredBy}</code>
                        </td>
                        <td className="number">{formatBytes(index.sizeBytes)}</td>
                        <td className="number">{formatNumber(index.scans)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <UnusedIndexes unused={data.unused} showAll={showAll} onShowAll={() => setShowAll(true)} />
          </>
        )}
      </QueryState>
    </section>
  );
}

type Unused = RouterOutputs["ops"]["indexUsage"]["unused"];

/**
 * Never-scanned indexes that could go (largest first). Those backing a key or unique constraint
 * are counted, not listed: dropping them would drop the guarantee.
 */
function UnusedIndexes({ unused, showAll, onShowAll }: { unused: Unused; showAll: boolean; onShowAll: () => void }) {
  const candidates = unused.filter((index) => !index.enforcesConstraint);
  const constraints = unused.length - candidates.length;
  const shown = showAll ? candidates : candidates.slice(0, SHORT_LIST);
  return (
    <>
      <h3>Unused indexes</h3>
      {candidates.length === 0 ? (
        <Empty>Every index that could be dropped has been used. Good.</Empty>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Index</th>
                <th scope="col">Table</th>
                <th scope="col" className="number">
                  Size
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((index) => (
                <tr key={index.index}>
                  <td>
                    <code>{index.index}</code>
                  </td>
                  <td>{index.table}</td>
                  <td className="number">{formatBytes(index.sizeBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted">
        {candidates.length > shown.length ? (
          <button type="button" className="link-button" onClick={onShowAll}>
            Show all {formatNumber(candidates.length)} candidates
          </button>
        ) : null}{" "}
        {constraints > 0
          ? `${formatNumber(constraints)} more never-scanned indexes enforce a key or uniqueness and must stay.`
          : ""}{" "}
        On a database that has just started, most indexes have not been needed yet: judge after a normal day.
      </p>
    </>
  );
}

const SLOW_PAGE = 10;

function SlowQueries() {
  const [page, setPage] = useState(1);
  const slow = trpc.ops.slowQueries.useQuery({ page, limit: SLOW_PAGE }, { placeholderData: keepPreviousData });
  return (
    <section className="panel" aria-labelledby="slow-heading">
      <h2 id="slow-heading">Slow queries</h2>
      <QueryState query={slow} what="The slow queries">
        {(data) =>
          !data.monitoring ? (
            <Empty>Query monitoring is off in this server process, so no slow query is recorded.</Empty>
          ) : (
            <>
              {data.thresholds ? (
                <p className="muted">
                  Kept when slower than {formatNumber(data.thresholds.slowQueryMs)} ms; an alert is raised above{" "}
                  {formatNumber(data.thresholds.slowQueryAlertMs)} ms. Recent statements of this server process, newest
                  first; values are masked.
                </p>
              ) : null}
              {data.queries.length === 0 ? (
                <Empty>No slow query since the server started. Good.</Empty>
              ) : (
                <div className="table-scroll">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">When</th>
                        <th scope="col" className="number">
                          Duration
                        </th>
                        <th scope="col">Table</th>
                        <th scope="col">Statement</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.queries.map((query) => (
                        <tr key={query.id} className={query.severity === "alert" ? "row-alert" : undefined}>
                          <td>{formatDateTime(query.at)}</td>
                          <td className="number">
                            {formatNumber(Math.round(query.durationMs))} ms
                            {query.waitMs >= 1 ? (
                              <div className="muted">+{formatNumber(Math.round(query.waitMs))} ms waiting</div>
                            ) : null}
                          </td>
                          <td>
                            {query.operation} {query.table}
                            {query.ok ? null : <div className="error">failed {query.errorCode ?? ""}</div>}
                          </td>
                          <td>
                            <code className="statement">{query.statement}</code>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <Pager pagination={data.pagination} onPage={setPage} busy={slow.isFetching} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}

function Alerts() {
  const [page, setPage] = useState(1);
  const alerts = trpc.ops.alerts.useQuery({ page, limit: 10 }, { placeholderData: keepPreviousData });
  return (
    <section className="panel" aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Alerts</h2>
      <QueryState query={alerts} what="The alerts">
        {(data) =>
          !data.monitoring ? (
            <Empty>Query monitoring is off in this server process.</Empty>
          ) : data.alerts.length === 0 ? (
            <Empty>No alert since the server started.</Empty>
          ) : (
            <>
              <ul className="alerts">
                {data.alerts.map((alert) => (
                  <li key={alert.id} className="row-alert">
                    <strong>{formatDateTime(alert.at)}</strong> {alert.message}
                    {alert.suppressed ? ` (and ${alert.suppressed} more like it)` : ""}
                  </li>
                ))}
              </ul>
              <Pager pagination={data.pagination} onPage={setPage} busy={alerts.isFetching} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}
