/**
 * Type tests, checked by `pnpm typecheck` (never run). Each `@ts-expect-error` marks an input the
 * typed client must refuse at compile time: if the API's types ever stop catching it, the
 * directive becomes unused and typecheck fails.
 */
import type { AppRouter } from "@coursebase/server";
import { createClient } from "@coursebase/server/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;

export async function typeTests(): Promise<void> {
  const client = createClient({ url: "http://127.0.0.1:3000" });

  // @ts-expect-error studentId is required
  await client.dashboard.student.query({});
  // @ts-expect-error studentId is a string, not a number
  await client.dashboard.student.query({ studentId: 42 });
  // @ts-expect-error no such procedure
  await client.dashboard.teacher.query({ studentId: "x" });
  // @ts-expect-error record is a mutation, not a query
  await client.progress.record.query({ updates: [] });
  const updateWithTextTime = { eventId: "e", studentId: "s", lessonId: "l", courseId: "c", timeSpent: "60" };
  // @ts-expect-error timeSpent is a number of seconds
  await client.progress.record.mutate({ updates: [updateWithTextTime] });
  // @ts-expect-error difficulty is one of the enum's values
  await client.search.courses.query({ difficulty: "EASY" });

  // Outputs flow from the query functions: fields by the guide's names, Dates as Dates.
  const dashboard: Outputs["dashboard"]["student"] = await client.dashboard.student.query({ studentId: "s" });
  const lastAccess: Date | null | undefined = dashboard.enrollments[0]?.lastAccessAt;
  const instructorName: string | undefined = dashboard.enrollments[0]?.course.instructor.name;
  const search: Outputs["search"]["courses"] = await client.search.courses.query({ query: "calc" });
  const total: number = search.pagination.total;
  const input: Inputs["analytics"]["course"] = { courseId: "c", start: "2026-01-01", end: "2026-01-31" };
  void [lastAccess, instructorName, total, input];
}
