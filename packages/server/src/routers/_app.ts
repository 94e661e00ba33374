import { createCallerFactory, router } from "../trpc/init.ts";
import { analyticsRouter } from "./analytics.ts";
import { authRouter } from "./auth.ts";
import { dashboardRouter } from "./dashboard.ts";
import { opsRouter } from "./ops.ts";
import { progressRouter } from "./progress.ts";
import { searchRouter } from "./search.ts";

export const appRouter = router({
  auth: authRouter,
  dashboard: dashboardRouter,
  search: searchRouter,
  progress: progressRouter,
  analytics: analyticsRouter,
  ops: opsRouter,
});

/** The type every client compiles against (import it with `import type`). */
export type AppRouter = typeof appRouter;

/** In-process calls (jobs, tests, benchmarks) through the same middlewares as HTTP. */
export const createCaller = createCallerFactory(appRouter);
