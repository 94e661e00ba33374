import { keepPreviousData } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useMemo } from "react";
import { Chart, type ChartSeries } from "../components/Chart.tsx";
import { Figure, Figures } from "../components/Figure.tsx";
import { RangePicker } from "../components/RangePicker.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { SummaryFreshness } from "../components/SummaryFreshness.tsx";
import { Empty, ErrorState, Loading, QueryState } from "../components/states.tsx";
import { formatDate, formatDecimal, formatDuration, formatNumber, label, lastDays } from "../lib/format.ts";
import { STAFF_ROLES, useSession } from "../session.tsx";
import { type RouterOutputs, trpc } from "../trpc.ts";

const route = getRouteApi("/courses/$courseId");
const DEFAULT_DAYS = 30;

type Analytics = RouterOutputs["analytics"]["course"];
type CourseDetail = RouterOutputs["courses"]["get"];

export function CoursePage() {
  return (
    <RequireRole roles={STAFF_ROLES}>
      <Course />
    </RequireRole>
  );
}

function Course() {
  const { courseId } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const fallback = lastDays(DEFAULT_DAYS);
  const range = { start: search.start ?? fallback.start, end: search.end ?? fallback.end };
  const course = trpc.courses.get.useQuery({ courseId }, { retry: false });
  const analytics = trpc.analytics.course.useQuery(
    { courseId, ...range },
    { placeholderData: keepPreviousData, retry: false },
  );

  return (
    <section aria-labelledby="course-heading">
      <p className="breadcrumb">
        <Link to="/courses">← Courses</Link>
      </p>
      <QueryState query={course} what="The course">
        {(detail) => (
          <>
            <div className="page-header">
              <h1 id="course-heading">{detail.title}</h1>
              <p className="muted">
                <span className={`badge status-${detail.status.toLowerCase()}`}>{label(detail.status)}</span>{" "}
                {label(detail.category)} · {label(detail.difficulty)} · {detail.instructor.name} ·{" "}
                {formatNumber(detail.lessonCount)} lessons
                {detail.publishedAt ? ` · published ${formatDate(detail.publishedAt)}` : ""}
              </p>
            </div>
            {detail.status === "PUBLISHED" ? <CourseSummary courseId={courseId} /> : null}

            <h2>Activity</h2>
            <RangePicker range={range} onChange={(next) => navigate({ search: next, replace: true })} />
            {analytics.error ? (
              <ErrorState error={analytics.error} what="The analytics" retry={() => analytics.refetch()} />
            ) : null}
            {analytics.isPending ? <Loading>Computing the course's analytics…</Loading> : null}
            {analytics.data ? <AnalyticsView analytics={analytics.data} updating={analytics.isFetching} /> : null}

            <CourseContent course={detail} />
          </>
        )}
      </QueryState>
    </section>
  );
}

/** The course's row of the performance summary, with the summary's freshness. */
function CourseSummary({ courseId }: { courseId: string }) {
  const { role } = useSession();
  // analytics.summary has no course filter yet: one page of 100 covers a demo institution; the
  // course row is looked up in it (see .notes/status-admin.md, request for a courseId filter).
  const summary = trpc.analytics.summary.useQuery({ page: 1, limit: 100, sort: "title" });
  if (summary.error)
    return <ErrorState error={summary.error} what="The course summary" retry={() => summary.refetch()} />;
  if (!summary.data) return <Loading>Loading the performance summary…</Loading>;
  const row = summary.data.courses.find((course) => course.courseId === courseId);
  return (
    <section className="panel" aria-labelledby="summary-heading">
      <h2 id="summary-heading">Performance summary</h2>
      {row ? (
        <Figures>
          <Figure label="Enrollments" value={formatNumber(row.totalEnrollments)} note="all time, every status" />
          <Figure label="Completions" value={formatNumber(row.completions)} />
          <Figure
            label="Average progress"
            value={row.avgProgress === null ? "—" : `${formatDecimal(row.avgProgress)} %`}
          />
          <Figure label="Average score" value={formatDecimal(row.avgScore)} />
          <Figure label="Hours spent" value={formatDecimal(row.totalHoursSpent)} />
        </Figures>
      ) : (
        <Empty>This course is not in the summary yet: it was published after the last refresh.</Empty>
      )}
      <SummaryFreshness refreshedAt={summary.data.refreshedAt} canRefresh={role === "ADMIN"} />
    </section>
  );
}

/** Modules and their lessons, in course order. */
function CourseContent({ course }: { course: CourseDetail }) {
  return (
    <section aria-labelledby="content-heading">
      <h2 id="content-heading">Modules and lessons</h2>
      {course.modules.length === 0 ? (
        <Empty>This course has no module yet.</Empty>
      ) : (
        <ol className="modules">
          {course.modules.map((module) => (
            <li key={module.id} className="card">
              <details open={course.modules.length <= 3}>
                <summary>
                  <strong>{module.title}</strong>{" "}
                  <span className="muted">
                    {module.lessons.length === 1 ? "1 lesson" : `${module.lessons.length} lessons`} ·{" "}
                    {formatDuration(module.lessons.reduce((sum, lesson) => sum + lesson.duration, 0) * 60)}
                  </span>
                </summary>
                {module.lessons.length === 0 ? (
                  <Empty>No lesson in this module.</Empty>
                ) : (
                  <ol className="lessons">
                    {module.lessons.map((lesson) => (
                      <li key={lesson.id}>
                        <span>{lesson.title}</span>
                        <span className="muted">
                          {label(lesson.type)} · {formatDuration(lesson.duration * 60)}
                        </span>
                      </li>
                    ))}
                  </ol>
                )}
              </details>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function AnalyticsView({ analytics, updating }: { analytics: Analytics; updating: boolean }) {
  const { series, totals } = analytics;
  const charts = useMemo(() => {
    const days = series.map((day) => day.date);
    const activity: ChartSeries[] = [
      { label: "Enrollments", values: series.map((day) => day.enrollments), color: "#2b6cb0", kind: "bars" },
      { label: "Completions", values: series.map((day) => day.completions), color: "#2f855a" },
    ];
    const score: ChartSeries[] = [
      { label: "Average score", values: series.map((day) => day.avgScore), color: "#c05621" },
    ];
    const time: ChartSeries[] = [
      {
        label: "Minutes per completed lesson",
        values: series.map((day) => (day.lessonsCompleted ? Math.round(day.avgTimeSpent / 6) / 10 : null)),
        color: "#6b46c1",
        unit: " min",
      },
    ];
    return { days, activity, score, time };
  }, [series]);

  return (
    <div aria-busy={updating} data-testid="course-analytics" data-range={`${analytics.start}..${analytics.end}`}>
      <Figures>
        <Figure label="Enrollments" value={formatNumber(totals.enrollments)} note="in this range" />
        <Figure label="Completions" value={formatNumber(totals.completions)} note="in this range" />
        <Figure label="Lessons completed" value={formatNumber(totals.lessonsCompleted)} />
        <Figure label="Average score" value={formatDecimal(totals.avgScore)} />
        <Figure label="Time per lesson" value={totals.lessonsCompleted ? formatDuration(totals.avgTimeSpent) : "—"} />
      </Figures>
      <p className="muted">
        Days in {analytics.timeZone}, {analytics.start} to {analytics.end}
        {updating ? " (updating…)" : ""}.
      </p>
      <div className="charts">
        <Chart title="Enrollments and completions per day" days={charts.days} series={charts.activity} />
        <Chart title="Average score per day" days={charts.days} series={charts.score} />
        <Chart title="Time spent per completed lesson" days={charts.days} series={charts.time} />
      </div>
    </div>
  );
}
