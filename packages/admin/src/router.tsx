import { createRootRoute, createRoute, createRouter, Link, lazyRouteComponent } from "@tanstack/react-router";
import {
  CATEGORIES,
  type Category,
  calendarDay,
  DIFFICULTIES,
  type Difficulty,
  oneOf,
  pageNumber,
  STATUS_FILTERS,
  type StatusFilter,
  text,
} from "./lib/search-params.ts";
import { OverviewPage } from "./pages/Overview.tsx";
import { Root } from "./Shell.tsx";

// The overview (the first screen) ships with the app; every other page loads when first opened.
// Filters, pages and date ranges live in the URL: a view can be bookmarked, shared and reloaded.
// Parsers keep only values the API accepts, so a hand-edited URL cannot produce a bad request.

const rootRoute = createRootRoute({
  component: Root,
  notFoundComponent: () => (
    <div className="state empty">
      <h2>Page not found</h2>
      <p>
        Nothing lives at this address. <Link to="/">Go to the overview</Link>.
      </p>
    </div>
  ),
});

export interface RangeSearch {
  start?: string;
  end?: string;
}
const rangeSearch = (search: Record<string, unknown>): RangeSearch => ({
  start: calendarDay(search.start),
  end: calendarDay(search.end),
});

const overviewRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/",
  validateSearch: rangeSearch,
  component: OverviewPage,
});

export interface CoursesSearch {
  q?: string;
  category?: Category;
  difficulty?: Difficulty;
  status?: StatusFilter;
  page?: number;
}
const coursesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/courses",
  validateSearch: (search: Record<string, unknown>): CoursesSearch => ({
    q: text(search.q),
    category: oneOf(CATEGORIES, search.category),
    difficulty: oneOf(DIFFICULTIES, search.difficulty),
    status: oneOf(STATUS_FILTERS, search.status),
    page: pageNumber(search.page),
  }),
  component: lazyRouteComponent(() => import("./pages/Courses.tsx"), "CoursesPage"),
});

const courseRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/courses/$courseId",
  validateSearch: rangeSearch,
  component: lazyRouteComponent(() => import("./pages/Course.tsx"), "CoursePage"),
});

export interface StudentsSearch {
  q?: string;
  page?: number;
}
const studentsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/students",
  validateSearch: (search: Record<string, unknown>): StudentsSearch => ({
    q: text(search.q),
    page: pageNumber(search.page),
  }),
  component: lazyRouteComponent(() => import("./pages/Students.tsx"), "StudentsPage"),
});

const studentRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/students/$studentId",
  component: lazyRouteComponent(() => import("./pages/Student.tsx"), "StudentPage"),
});

const healthRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/health",
  component: lazyRouteComponent(() => import("./pages/Health.tsx"), "HealthPage"),
});
const auditRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/audit",
  component: lazyRouteComponent(() => import("./pages/AuditLog.tsx"), "AuditLogPage"),
});
const tokensRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/tokens",
  component: lazyRouteComponent(() => import("./pages/ApiTokens.tsx"), "ApiTokensPage"),
});

const routeTree = rootRoute.addChildren([
  overviewRoute,
  coursesRoute,
  courseRoute,
  studentsRoute,
  studentRoute,
  healthRoute,
  auditRoute,
  tokensRoute,
]);

export const router = createRouter({ routeTree, defaultPreload: false, scrollRestoration: true });

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
