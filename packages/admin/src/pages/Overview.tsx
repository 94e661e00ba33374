import { keepPreviousData } from "@tanstack/react-query";
import { getRouteApi, Link, Navigate } from "@tanstack/react-router";
import { useMemo } from "react";
import { Chart, type ChartSeries } from "../components/Chart.tsx";
import { Figure, Figures } from "../components/Figure.tsx";
import { RangePicker } from "../components/RangePicker.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { SummaryFreshness } from "../components/SummaryFreshness.tsx";
import { Empty, ErrorState, Loading, QueryState } from "../components/states.tsx";
import { formatDecimal, formatNumber, label, lastDays } from "../lib/format.ts";
import { markOnce, useMarkWhen } from "../lib/marks.ts";
import { ADMIN_ONLY, useSession } from "../session.tsx";
import { type RouterOutputs, trpc } from "../trpc.ts";

const route = getRouteApi("/");
type InstitutionAnalytics = RouterOutputs["analytics"]["institution"];

export function OverviewPage() {
  const { role } = useSession();
  // Instructors and teaching assistants start at their courses.
  if (role !== "ADMIN") return <Navigate to="/courses" replace />;
  return (
    <RequireRole roles={ADMIN_ONLY}>
      <Overview />
    </RequireRole>
  );
}

function Overview() {
  const { institution } = useSession();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const fallback = lastDays(30);
  const range = { start: search.start ?? fallback.start, end: search.end ?? fallback.end };
  const analytics = trpc.analytics.institution.useQuery(range, { placeholderData: keepPreviousData, retry: false });
  useMarkWhen(analytics.data !== undefined, "overview-rendered");

  return (
    <section aria-labelledby="overview-heading">
      <div className="page-header">
        <h1 id="overview-heading">Overview</h1>
        <p className="muted">{institution.name}</p>
      </div>
      <RangePicker range={range} onChange={(next) => navigate({ search: next, replace: true })} />
      {analytics.error ? (
        <ErrorState error={analytics.error} what="The institution's figures" retry={() => analytics.refetch()} />
      ) : null}
      {analytics.isPending ? <Loading>Computing the institution's figures…</Loading> : null}
      {analytics.data ? <InstitutionView analytics={analytics.data} updating={analytics.isFetching} /> : null}
      <TopCourses />
    </section>
  );
}

function InstitutionView({ analytics, updating }: { analytics: InstitutionAnalytics; updating: boolean }) {
  const { figures, series } = analytics;
  const charts = useMemo(() => {
    const days = series.map((day) => day.date);
    const students: ChartSeries[] = [
      { label: "Active students", values: series.map((day) => day.activeStudents), color: "#2b6cb0" },
    ];
    const enrollments: ChartSeries[] = [
      { label: "Enrollments", values: series.map((day) => day.enrollments), color: "#2b6cb0", kind: "bars" },
      { label: "Completions", values: series.map((day) => day.completions), color: "#2f855a" },
    ];
    const learning: ChartSeries[] = [
      {
        label: "Hours learned",
        values: series.map((day) => day.hoursLearned),
        color: "#6b46c1",
        kind: "bars",
        unit: " h",
      },
    ];
    const lessons: ChartSeries[] = [
      { label: "Lessons completed", values: series.map((day) => day.lessonsCompleted), color: "#c05621", kind: "bars" },
    ];
    return { days, students, enrollments, learning, lessons };
  }, [series]);
  const onDrawn = () => markOnce("overview-chart-drawn");

  return (
    <div aria-busy={updating} data-testid="institution-analytics">
      <Figures>
        <Figure
          label="Active students"
          value={formatNumber(figures.activeStudents)}
          note="learned in the last 7 days"
        />
        <Figure label="Hours learned" value={formatDecimal(figures.hoursLearnedThisWeek)} note="in the last 7 days" />
        <Figure label="Active enrollments" value={formatNumber(figures.activeEnrollments)} note="now" />
        <Figure label="Completions" value={formatNumber(figures.completions)} note="in the chosen range" />
        <Figure label="Published courses" value={formatNumber(figures.publishedCourses)} />
      </Figures>
      <p className="muted">
        Days in {analytics.timeZone}, {analytics.start} to {analytics.end}
        {updating ? " (updating…)" : ""}.
      </p>
      <div className="charts">
        <Chart title="Active students per day" days={charts.days} series={charts.students} onDrawn={onDrawn} />
        <Chart title="Enrollments and completions per day" days={charts.days} series={charts.enrollments} />
        <Chart title="Hours learned per day" days={charts.days} series={charts.learning} />
        <Chart title="Lessons completed per day" days={charts.days} series={charts.lessons} />
      </div>
    </div>
  );
}

function TopCourses() {
  const summary = trpc.analytics.summary.useQuery({ page: 1, limit: 10, sort: "enrollments" });
  return (
    <section className="panel" aria-labelledby="top-heading">
      <h2 id="top-heading">Most enrolled courses</h2>
      <QueryState query={summary} what="The course summary">
        {(data) => (
          <>
            {data.courses.length === 0 ? (
              <Empty>No published course yet.</Empty>
            ) : (
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Course</th>
                      <th scope="col" className="wide-only">
                        Category
                      </th>
                      <th scope="col" className="number">
                        Enrollments
                      </th>
                      <th scope="col" className="number">
                        Completions
                      </th>
                      <th scope="col" className="number">
                        Avg. progress
                      </th>
                      <th scope="col" className="number">
                        Hours
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.courses.map((course) => (
                      <tr key={course.courseId}>
                        <td>
                          <Link to="/courses/$courseId" params={{ courseId: course.courseId }}>
                            {course.title}
                          </Link>
                        </td>
                        <td className="wide-only">{label(course.category)}</td>
                        <td className="number">{formatNumber(course.totalEnrollments)}</td>
                        <td className="number">{formatNumber(course.completions)}</td>
                        <td className="number">
                          {course.avgProgress === null ? "—" : `${formatDecimal(course.avgProgress)} %`}
                        </td>
                        <td className="number">{formatDecimal(course.totalHoursSpent)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <SummaryFreshness refreshedAt={data.refreshedAt} canRefresh />
          </>
        )}
      </QueryState>
    </section>
  );
}
