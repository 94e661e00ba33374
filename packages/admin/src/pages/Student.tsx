import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog.tsx";
import { Figure, Figures } from "../components/Figure.tsx";
import { RequireRole } from "../components/RequireRole.tsx";
import { Empty, ErrorState, Loading, QueryState } from "../components/states.tsx";
import { describeError, errorCode } from "../lib/errors.ts";
import { formatAge, formatDateTime, formatDuration, formatNumber, label } from "../lib/format.ts";
import { useDebounced } from "../lib/hooks.ts";
import { ADMIN_ONLY } from "../session.tsx";
import { type RouterOutputs, trpc } from "../trpc.ts";

const route = getRouteApi("/students/$studentId");

type Dashboard = RouterOutputs["dashboard"]["student"];
type User = RouterOutputs["users"]["get"];

export function StudentPage() {
  return (
    <RequireRole roles={ADMIN_ONLY}>
      <Student />
    </RequireRole>
  );
}

function Student() {
  const { studentId } = route.useParams();
  const user = trpc.users.get.useQuery({ userId: studentId }, { retry: false });
  return (
    <section aria-labelledby="student-heading">
      <p className="breadcrumb">
        <Link to="/students">← Students</Link>
      </p>
      <QueryState query={user} what="The student">
        {(person) => (
          <>
            <div className="page-header">
              <h1 id="student-heading">{person.name}</h1>
              <p className="muted">
                {person.email} · {label(person.role)}
                {person.department ? ` · ${person.department.name}` : ""} · {person.isActive ? "active" : "deactivated"}{" "}
                · last sign-in {person.lastLoginAt ? formatAge(person.lastLoginAt) : "never"}
              </p>
            </div>
            {person.role === "STUDENT" ? (
              <>
                <DashboardSection studentId={person.id} />
                <EnrollSection student={person} />
              </>
            ) : (
              <Empty>This person is not a student: there is no student dashboard to show.</Empty>
            )}
            <PrivacySection person={person} />
          </>
        )}
      </QueryState>
    </section>
  );
}

function DashboardSection({ studentId }: { studentId: string }) {
  const dashboard = trpc.dashboard.student.useQuery({ studentId }, { retry: false });
  return (
    <section className="panel" aria-labelledby="dashboard-heading">
      <h2 id="dashboard-heading">Their dashboard</h2>
      <p className="muted">Exactly what the student sees when they sign in.</p>
      <QueryState query={dashboard} what="The student's dashboard">
        {(data) => <StudentDashboard dashboard={data} />}
      </QueryState>
    </section>
  );
}

/** The dashboard as the student sees it (`dashboard.student`), with a Drop action per course. */
function StudentDashboard({ dashboard }: { dashboard: Dashboard }) {
  const { student } = dashboard;
  const utils = trpc.useUtils();
  const [dropping, setDropping] = useState<Dashboard["enrollments"][number] | null>(null);
  const drop = trpc.enrollments.drop.useMutation({
    onSuccess: async () => {
      setDropping(null);
      await utils.dashboard.student.invalidate({ studentId: student.id });
    },
  });
  return (
    <div className="student-dashboard" data-testid="student-dashboard">
      <Figures>
        <Figure label="Active courses" value={formatNumber(dashboard.totalCourses)} />
        <Figure label="Courses completed" value={formatNumber(dashboard.completedCourses)} />
        <Figure label="Lessons completed" value={formatNumber(dashboard.completedLessons)} />
        <Figure
          label="Average progress"
          value={dashboard.averageProgress === null ? "—" : `${dashboard.averageProgress} %`}
        />
      </Figures>

      <h3>My courses</h3>
      {drop.error && !dropping ? (
        <p role="alert" className="error">
          {describeError(drop.error)}
        </p>
      ) : null}
      {dashboard.enrollments.length === 0 ? (
        <Empty>No active course.</Empty>
      ) : (
        <ul className="enrollments">
          {dashboard.enrollments.map((enrollment) => (
            <li key={enrollment.id} className="card">
              <div className="enrollment-head">
                <strong>{enrollment.course.title}</strong>
                <span className="muted">
                  {label(enrollment.course.category)} · {label(enrollment.course.difficulty)} · by{" "}
                  {enrollment.course.instructor.name}
                </span>
              </div>
              <div className="progress-row">
                <progress max={100} value={enrollment.progress} aria-label={`Progress in ${enrollment.course.title}`} />
                <span className="number">{Math.round(enrollment.progress)} %</span>
              </div>
              <div className="enrollment-foot">
                <span className="muted">
                  {enrollment.lastAccessAt ? `Last visited ${formatAge(enrollment.lastAccessAt)}` : "Not started yet"}
                </span>
                <button type="button" className="link-button" onClick={() => setDropping(enrollment)}>
                  Drop…
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}

      <h3>Recent activity</h3>
      {dashboard.recentProgress.length === 0 ? (
        <Empty>No lesson completed in the last 7 days.</Empty>
      ) : (
        <ol className="activity">
          {dashboard.recentProgress.map((item) => (
            <li key={`${item.lessonId}-${item.completedAt.toISOString()}`}>
              <span>
                Completed <strong>{item.lesson.title}</strong> ({label(item.lesson.type)}) in {item.course.title}
                {item.score !== null ? `, score ${item.score}` : ""}, {formatDuration(item.timeSpent)}
              </span>
              <time className="muted" dateTime={item.completedAt.toISOString()}>
                {formatDateTime(item.completedAt)}
              </time>
            </li>
          ))}
        </ol>
      )}

      <ConfirmDialog
        open={dropping !== null}
        title={`Drop ${student.name} from ${dropping?.course.title ?? "the course"}?`}
        confirmLabel="Drop from the course"
        danger
        busy={drop.isPending}
        onCancel={() => {
          setDropping(null);
          drop.reset();
        }}
        onConfirm={() => dropping && drop.mutate({ studentId: student.id, courseId: dropping.courseId })}
      >
        <ul>
          <li>The course leaves their dashboard and they can no longer record progress in it.</li>
          <li>
            Their progress so far ({Math.round(dropping?.progress ?? 0)} %) is kept; enrolling them again brings it
            back.
          </li>
          <li>The change is recorded in the audit log under your name.</li>
        </ul>
        {drop.error ? (
          <p role="alert" className="error">
            {describeError(drop.error)}
          </p>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}

/** Enroll in a published course found by title; refusals (prerequisites...) shown as the server words them. */
function EnrollSection({ student }: { student: User }) {
  const utils = trpc.useUtils();
  const [typed, setTyped] = useState("");
  const query = useDebounced(typed.trim(), 250);
  const courses = trpc.search.courses.useQuery({ query, page: 1, limit: 8 }, { enabled: query.length > 0 });
  const enroll = trpc.enrollments.enroll.useMutation({
    onSuccess: async () => {
      setTyped("");
      await utils.dashboard.student.invalidate({ studentId: student.id });
    },
  });
  return (
    <section className="panel" aria-labelledby="enroll-heading">
      <h2 id="enroll-heading">Enroll in a course</h2>
      <input
        type="search"
        aria-label="Find a course to enroll in"
        placeholder="Title of a published course"
        value={typed}
        onChange={(event) => {
          setTyped(event.target.value);
          enroll.reset();
        }}
      />
      {enroll.error ? (
        <p role="alert" className="error">
          {errorCode(enroll.error) === "CONFLICT" ? "Already enrolled: " : "Enrollment refused: "}
          {describeError(enroll.error)}
        </p>
      ) : null}
      {enroll.data ? (
        <p role="status" className="success">
          Enrolled. The course is now on their dashboard.
        </p>
      ) : null}
      {query && courses.isPending ? <Loading>Searching…</Loading> : null}
      {courses.error ? <ErrorState error={courses.error} retry={() => courses.refetch()} /> : null}
      {query && courses.data ? (
        courses.data.courses.length === 0 ? (
          <Empty>No published course matches “{query}”.</Empty>
        ) : (
          <ul className="choices">
            {courses.data.courses.map((course) => (
              <li key={course.id}>
                <span>
                  {course.title} <span className="muted">({label(course.difficulty)})</span>
                </span>
                <button
                  type="button"
                  disabled={enroll.isPending}
                  onClick={() => enroll.mutate({ studentId: student.id, courseId: course.id })}
                >
                  Enroll
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </section>
  );
}

/** Export (a JSON file of every row about the person) and erasure, each confirmed first. */
function PrivacySection({ person }: { person: User }) {
  const utils = trpc.useUtils();
  const [confirming, setConfirming] = useState<"export" | "erase" | null>(null);
  const [typedName, setTypedName] = useState("");
  const exportUser = trpc.privacy.exportUser.useMutation({
    onSuccess: (data) => {
      setConfirming(null);
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const link = createDownloadLink(URL.createObjectURL(blob), `coursebase-export-${person.id}.json`);
      link.click();
      URL.revokeObjectURL(link.href);
    },
  });
  const erase = trpc.privacy.eraseUser.useMutation({
    onSuccess: async () => {
      setConfirming(null);
      setTypedName("");
      await utils.invalidate();
    },
  });
  const close = () => {
    setConfirming(null);
    setTypedName("");
    exportUser.reset();
    erase.reset();
  };

  return (
    <section className="panel" aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">Personal data</h2>
      <div className="actions">
        <button type="button" onClick={() => setConfirming("export")} disabled={exportUser.isPending}>
          {exportUser.isPending ? "Preparing the export…" : "Export their data…"}
        </button>
        <button type="button" className="danger" onClick={() => setConfirming("erase")} disabled={erase.isPending}>
          Erase their data…
        </button>
      </div>
      {exportUser.data ? (
        <p role="status" className="success">
          Export downloaded ({formatNumber(countRows(exportUser.data))} rows). It holds personal data: store it safely.
        </p>
      ) : null}
      {erase.data ? (
        <p role="status" className="success">
          Erased: {formatNumber(erase.data.users)} account anonymised, {formatNumber(erase.data.sessionsDeleted)}{" "}
          sessions and {formatNumber(erase.data.historyDeleted)} history events deleted,{" "}
          {formatNumber(erase.data.tokensRevoked)} tokens revoked.
        </p>
      ) : null}

      <ConfirmDialog
        open={confirming === "export"}
        title={`Export everything about ${person.name}?`}
        confirmLabel="Export and download"
        busy={exportUser.isPending}
        onCancel={close}
        onConfirm={() => exportUser.mutate({ userId: person.id })}
      >
        <ul>
          <li>
            A JSON file with every row about them: account, enrollments, lesson progress, progress history, submissions
            and grades.
          </li>
          <li>
            It is personal data: keep it only as long as the request it answers needs, and share it only with them.
          </li>
          <li>The export is recorded in the audit log under your name.</li>
        </ul>
        {exportUser.isPending ? (
          <p aria-live="polite">
            <span className="spinner" aria-hidden="true" /> Collecting their rows…
          </p>
        ) : null}
        {exportUser.error ? (
          <p role="alert" className="error">
            {describeError(exportUser.error)}
          </p>
        ) : null}
      </ConfirmDialog>

      <ConfirmDialog
        open={confirming === "erase"}
        title={`Erase ${person.name}'s personal data?`}
        confirmLabel="Erase permanently"
        danger
        busy={erase.isPending}
        confirmDisabled={typedName.trim() !== person.name}
        onCancel={close}
        onConfirm={() => erase.mutate({ userId: person.id })}
      >
        <p>
          <strong>This cannot be undone.</strong>
        </p>
        <ul>
          <li>
            Their name, email, profile and preferences are replaced (“Erased user”); the account is deactivated and can
            no longer sign in.
          </li>
          <li>Their password, sessions and progress history are deleted; API tokens acting as them are revoked.</li>
          <li>
            Enrollments, progress and grades stay, without anything that identifies them, so course figures do not
            change.
          </li>
          <li>The erasure is recorded in the audit log (ids only, no personal data).</li>
        </ul>
        <label className="stacked">
          Type their name, <strong>{person.name}</strong>, to confirm
          <input value={typedName} onChange={(event) => setTypedName(event.target.value)} autoComplete="off" />
        </label>
        {erase.isPending ? (
          <p aria-live="polite">
            <span className="spinner" aria-hidden="true" /> Erasing…
          </p>
        ) : null}
        {erase.error ? (
          <p role="alert" className="error">
            {describeError(erase.error)}
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}

function createDownloadLink(href: string, filename: string): HTMLAnchorElement {
  const link = document.createElement("a");
  link.href = href;
  link.download = filename;
  return link;
}

function countRows(data: RouterOutputs["privacy"]["exportUser"]): number {
  return Object.values(data).reduce<number>((sum, value) => sum + (Array.isArray(value) ? value.length : 0), 0);
}
