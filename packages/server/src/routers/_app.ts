import { createCallerFactory, router } from "../trpc/init.ts";
import { analyticsRouter } from "./analytics.ts";
import { assignmentsRouter } from "./assignments.ts";
import { auditRouter } from "./audit.ts";
import { authRouter } from "./auth.ts";
import { coursesRouter } from "./courses.ts";
import { dashboardRouter } from "./dashboard.ts";
import { departmentsRouter } from "./departments.ts";
import { enrollmentsRouter } from "./enrollments.ts";
import { gradesRouter } from "./grades.ts";
import { importsRouter } from "./imports.ts";
import { institutionsRouter } from "./institutions.ts";
import { lessonsRouter } from "./lessons.ts";
import { modulesRouter } from "./modules.ts";
import { opsRouter } from "./ops.ts";
import { prerequisitesRouter } from "./prerequisites.ts";
import { privacyRouter } from "./privacy.ts";
import { progressRouter } from "./progress.ts";
import { retentionRouter } from "./retention.ts";
import { searchRouter } from "./search.ts";
import { submissionsRouter } from "./submissions.ts";
import { tokensRouter } from "./tokens.ts";
import { usersRouter } from "./users.ts";

export const appRouter = router({
  auth: authRouter,
  dashboard: dashboardRouter,
  search: searchRouter,
  progress: progressRouter,
  analytics: analyticsRouter,
  ops: opsRouter,
  enrollments: enrollmentsRouter,
  assignments: assignmentsRouter,
  submissions: submissionsRouter,
  grades: gradesRouter,
  imports: importsRouter,
  institutions: institutionsRouter,
  departments: departmentsRouter,
  users: usersRouter,
  courses: coursesRouter,
  modules: modulesRouter,
  lessons: lessonsRouter,
  prerequisites: prerequisitesRouter,
  audit: auditRouter,
  tokens: tokensRouter,
  retention: retentionRouter,
  privacy: privacyRouter,
});

/** The type every client compiles against (import it with `import type`). */
export type AppRouter = typeof appRouter;

/** In-process calls (jobs, tests, benchmarks) through the same middlewares as HTTP. */
export const createCaller = createCallerFactory(appRouter);
