import { type SQL, sql } from "drizzle-orm";
import type { SeedPlan } from "./plan.ts";

/**
 * Every random decision is a pure function of (seed, stream, row number), computed in SQL:
 * no random(), no dependence on row order or on the engine. hashint8extended is the hash
 * PostgreSQL uses for hash partitioning, so it must stay stable across versions (checked:
 * PostgreSQL 15 and PGlite/18 give the same values). Only integer arithmetic and the basic
 * float operations (+ - * /, exact in IEEE 754 on every platform) are applied to the draws;
 * no pow/exp/ln, whose last bits may differ between libms.
 *
 * Each decision has its own stream, so adding one never shifts the others.
 */
export const STREAM = {
  courseCategory: 1,
  courseDifficulty: 2,
  courseStatus: 3,
  courseEmpty: 4,
  courseModules: 5,
  courseLessonsPerModule: 6,
  courseLastModule: 7,
  courseAssignments: 8,
  courseCreated: 9,
  courseCreatedTime: 10,
  coursePublished: 11,
  courseArchived: 12,
  courseUpdated: 13,
  courseInstructor: 14,
  coursePrice: 15,
  coursePriceFree: 16,
  courseHours: 17,
  courseTopic: 18,
  courseTitle: 19,
  courseKeyword: 20,
  courseClosing: 21,
  prerequisiteWanted: 22,
  prerequisiteCount: 23,
  prerequisitePick: 24,
  lessonType: 25,
  lessonDuration: 26,
  lessonVariant: 27,
  assignmentPoints: 28,
  enrollmentCount: 29,
  enrollmentPick: 30,
  enrollmentStatus: 31,
  enrollmentStart: 32,
  enrollmentDone: 33,
  enrollmentInProgress: 34,
  enrollmentLively: 35,
  enrollmentEnd: 36,
  enrollmentGrade: 37,
  progressSlot: 38,
  progressTime: 39,
  progressScoreA: 40,
  progressScoreB: 41,
  progressAttempts: 42,
  submissionSkip: 43,
  submissionAttempts: 44,
  submissionDelay: 45,
  submissionGap: 46,
  gradeSkip: 47,
  gradeGrader: 48,
  gradeTa: 49,
  gradePercent: 50,
  gradeFeedback: 51,
  gradeDelay: 52,
  personFirstName: 53,
  personLastName: 54,
  personDepartment: 55,
  personActive: 56,
  personCreated: 57,
  personLogin: 58,
  personYear: 59,
  personDigest: 60,
  personTitle: 61,
  institutionCreated: 62,
  courseTa: 63,
  courseSecondTa: 64,
  courseSecondTaPick: 65,
  courseCoInstructor: 66,
  courseCoInstructorPick: 67,
} as const;

export type Stream = keyof typeof STREAM;

/** Kinds of generated rows; each numbers its rows on its own and derives ids from the number. */
export type IdKind =
  | "institution"
  | "department"
  | "student"
  | "instructor"
  | "ta"
  | "admin"
  | "course"
  | "module"
  | "lesson"
  | "enrollment"
  | "progress"
  | "assignment"
  | "submission"
  | "grade";

const DAY = 86_400;

/** An integer or decimal constant of the generator's own code, inlined (never user input). */
export function lit(value: number): SQL {
  if (!Number.isFinite(value)) throw new Error(`not a finite constant: ${value}`);
  return sql.raw(String(value));
}

export function days(n: number): SQL {
  return lit(n * DAY);
}

/** SQL builders bound to one run's seed and anchor. */
export class Draw {
  readonly anchor: SQL;
  private readonly seedKey: number;
  private readonly seedText: string;

  constructor(plan: SeedPlan) {
    this.seedKey = plan.seedKey;
    this.seedText = plan.seedText;
    // Seconds since the epoch; every generated time is anchor minus whole seconds.
    this.anchor = sql`${plan.anchorEpoch}::int8`;
  }

  /** md5(seed || ':' || kind || ':' || n)::uuid: stable ids, computable from the number alone. */
  id(kind: IdKind, n: SQL): SQL {
    return sql`md5(${`${this.seedText}:${kind}:`}::text || (${n})::text)::uuid`;
  }

  /**
   * 64-bit hash of (seed, stream, salt, n). The salt separates kinds numbered independently
   * (student 7 and instructor 7 must not share a name).
   */
  hash(stream: Stream, n: SQL, salt = 0): SQL {
    return sql`hashint8extended((${n})::int8, ${this.seedKey + STREAM[stream] * 7919 + salt * 1_000_003}::int8)`;
  }

  /** Uniform double in [0, 1): 52 hash bits over 2^52, exact. */
  unit(stream: Stream, n: SQL, salt = 0): SQL {
    return sql`((${this.hash(stream, n, salt)} & 4503599627370495)::float8 / 4503599627370496::float8)`;
  }

  /** Uniform integer in [0, m). */
  below(stream: Stream, n: SQL, m: SQL | number, salt = 0): SQL {
    const modulus = typeof m === "number" ? lit(m) : m;
    return sql`((${this.hash(stream, n, salt)} & 9223372036854775807) % (${modulus}))::int`;
  }

  /** Epoch seconds to timestamptz. */
  time(epochSeconds: SQL): SQL {
    return sql`to_timestamp((${epochSeconds})::float8)`;
  }
}

/** `CASE WHEN u < w1 THEN 0 WHEN u < w1+w2 THEN 1 ... END` over cumulative weights. */
export function weightedIndex(unit: SQL, weights: readonly number[]): SQL {
  const total = weights.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  const branches = weights.slice(0, -1).map((w, i) => {
    cumulative += w;
    return sql`WHEN ${unit} < ${lit(cumulative / total)} THEN ${lit(i)}`;
  });
  return sql`(CASE ${sql.join(branches, sql` `)} ELSE ${lit(weights.length - 1)} END)`;
}
