import type { RouterInputs } from "../trpc.ts";

type SearchInput = RouterInputs["search"]["courses"];
export type Category = NonNullable<SearchInput["category"]>;
export type Difficulty = NonNullable<SearchInput["difficulty"]>;

// Checked against the API's input schema: a value the server does not accept fails to compile.
export const CATEGORIES = [
  "PROGRAMMING",
  "DATA_SCIENCE",
  "MATHEMATICS",
  "SCIENCE",
  "BUSINESS",
  "DESIGN",
  "LANGUAGES",
  "HUMANITIES",
] as const satisfies readonly Category[];
export const DIFFICULTIES = ["BEGINNER", "INTERMEDIATE", "ADVANCED"] as const satisfies readonly Difficulty[];

/** A search parameter from the URL, kept only when it is one of the allowed values. */
export function oneOf<T extends string>(values: readonly T[], raw: unknown): T | undefined {
  return typeof raw === "string" && (values as readonly string[]).includes(raw) ? (raw as T) : undefined;
}

export function text(raw: unknown): string | undefined {
  if (typeof raw === "number") return String(raw);
  return typeof raw === "string" && raw.trim() ? raw : undefined;
}

export function pageNumber(raw: unknown): number | undefined {
  const page = Number(raw);
  return Number.isInteger(page) && page > 1 ? page : undefined;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
export function calendarDay(raw: unknown): string | undefined {
  return typeof raw === "string" && DAY.test(raw) && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
}

export type CourseStatus = NonNullable<RouterInputs["courses"]["list"]["status"]>;
export const COURSE_STATUSES = ["PUBLISHED", "DRAFT", "ARCHIVED"] as const satisfies readonly CourseStatus[];
/** The Courses screen's status filter: one status, or "ANY". */
export const STATUS_FILTERS = [...COURSE_STATUSES, "ANY"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
