/**
 * Cache keys and invalidation tags. A key always carries its institution (tenant) in clear and
 * never personal data: identifiers must be UUIDs, and everything else the value depends on
 * (`params`: ids, filters, dates, search text...) is hashed into a digest, so free text such as
 * a search query or an email never reaches Redis in clear. Error messages never echo the
 * rejected value, for the same reason.
 *
 * Unlike the seed guide's `student:dashboard:${studentId}` (no tenant, so two institutions
 * would share entries; invalidation by `KEYS pattern*`, which blocks Redis while it walks every
 * key), entries here are found by exact key and invalidated through their tags.
 */
import { createHash } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[a-z][A-Za-z0-9_.-]{0,63}$/;
const KIND = /^[a-z][a-z0-9_]{0,31}$/;

declare const tagBrand: unique symbol;
/** `<kind>:<institutionId>[:<entityId>]`; build it with `cacheTags`. */
export type CacheTag = string & { readonly [tagBrand]: true };

declare const keyBrand: unique symbol;
export interface CacheKey {
  readonly [keyBrand]: true;
  readonly institutionId: string;
  /** What is cached, e.g. "dashboard.student". */
  readonly name: string;
  /** Hash of the params. */
  readonly digest: string;
  /** Sorted, without duplicates, always including the institution's own tag. */
  readonly tags: readonly CacheTag[];
}

function uuid(label: string, value: unknown): string {
  if (typeof value !== "string" || !UUID.test(value)) throw new TypeError(`cache: ${label} must be a UUID`);
  // Clients may send upper case; the database returns lower case. One entity, one tag.
  return value.toLowerCase();
}

/** A tag for any entity of an institution; prefer the named helpers in `cacheTags`. */
export function entityTag(kind: string, institutionId: string, entityId: string): CacheTag {
  if (!KIND.test(kind)) throw new TypeError("cache: tag kind must match /^[a-z][a-z0-9_]{0,31}$/");
  return `${kind}:${uuid("institutionId", institutionId)}:${uuid(`${kind} id`, entityId)}` as CacheTag;
}

export const cacheTags = {
  /** Carried by every entry of the institution: invalidating it drops the whole tenant. */
  institution: (institutionId: string) => `institution:${uuid("institutionId", institutionId)}` as CacheTag,
  student: (institutionId: string, studentId: string) => entityTag("student", institutionId, studentId),
  course: (institutionId: string, courseId: string) => entityTag("course", institutionId, courseId),
};

/** The institution a tag belongs to. */
export function institutionOfTag(tag: CacheTag): string {
  const institutionId = tag.split(":")[1];
  if (institutionId === undefined || !UUID.test(institutionId)) throw new TypeError("cache: not a cache tag");
  return institutionId;
}

export interface CacheKeySpec {
  institutionId: string;
  /** What is cached, e.g. "dashboard.student": a fixed name, never data. */
  name: string;
  /**
   * Everything else the value depends on (ids, page, filters, date range, search text, and the
   * viewer's role if it changes the answer). Plain JSON-like values and Dates; hashed.
   */
  params?: Record<string, unknown>;
  /** The entities whose change must invalidate the entry; all of the same institution. */
  tags?: readonly CacheTag[];
}

export function cacheKey(spec: CacheKeySpec): CacheKey {
  const institutionId = uuid("institutionId", spec.institutionId);
  if (typeof spec.name !== "string" || !NAME.test(spec.name)) {
    throw new TypeError("cache: key name must match /^[a-z][A-Za-z0-9_.-]{0,63}$/");
  }
  const tags = new Set<CacheTag>([cacheTags.institution(institutionId)]);
  for (const tag of spec.tags ?? []) {
    // A tag of another tenant would let one tenant's write drop, or keep, another's entries.
    if (institutionOfTag(tag) !== institutionId) throw new TypeError("cache: a key's tags must be of its institution");
    tags.add(tag);
  }
  const digest = createHash("sha256")
    .update(canonical(spec.params ?? {}))
    .digest("base64url")
    .slice(0, 22); // 132 bits
  return { institutionId, name: spec.name, digest, tags: [...tags].sort() } as unknown as CacheKey;
}

/** The usual keys, so that readers and the writers that invalidate them agree on the tags. */
export const cacheKeys = {
  /** A student's dashboard: dropped when the student's progress or enrollments change. */
  studentDashboard: (institutionId: string, studentId: string) =>
    cacheKey({
      institutionId,
      name: "dashboard.student",
      params: { studentId: uuid("studentId", studentId) },
      tags: [cacheTags.student(institutionId, studentId)],
    }),
  /** A course's analytics over `params` (the date range...): dropped when the course's progress changes. */
  courseAnalytics: (institutionId: string, courseId: string, params: Record<string, unknown> = {}) =>
    cacheKey({
      institutionId,
      name: "analytics.course",
      params: { ...params, courseId: uuid("courseId", courseId) },
      tags: [cacheTags.course(institutionId, courseId)],
    }),
};

/** Deterministic text of a params value: object keys sorted, undefined properties dropped. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("cache: key params must be finite numbers");
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return `${value}n`;
    case "object": {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError("cache: key params hold an invalid Date");
        return `D${JSON.stringify(value.toISOString())}`;
      }
      if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
      const prototype = Object.getPrototypeOf(value);
      if (prototype === Object.prototype || prototype === null) {
        const record = value as Record<string, unknown>;
        const fields = Object.keys(record)
          .filter((field) => record[field] !== undefined)
          .sort()
          .map((field) => `${JSON.stringify(field)}:${canonical(record[field])}`);
        return `{${fields.join(",")}}`;
      }
    }
  }
  throw new TypeError("cache: key params must be strings, numbers, booleans, null, Dates, arrays or plain objects");
}
