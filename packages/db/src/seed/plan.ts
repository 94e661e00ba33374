import { createHash } from "node:crypto";
import { INSTITUTIONS } from "./vocabulary.ts";

/**
 * Scale 1 = 10,000 students, 500 courses, about 1M lesson_progress rows; the standard bench
 * scale is 10. Fractions work: every institution keeps a floor of people and courses.
 */
export const STUDENTS_PER_SCALE = 10_000;
export const COURSES_PER_SCALE = 500;
/** Scale of the embedded demo dataset (`pnpm start` on an empty database): loads in seconds on PGlite. */
export const DEMO_SCALE = 0.05;
export const DEFAULT_SEED = 1;
/** Above this the run would need hours and ids would outgrow the 32 bits the hash folds them into. */
export const MAX_SCALE = 100;

export interface SeedOptions {
  scale: number;
  seed?: number | string;
  /** Generated history ends here (default: today, 00:00 UTC). Same seed + same anchor => same rows. */
  anchor?: Date;
}

/** One institution's share, as contiguous number ranges per kind of row (ids derive from the numbers). */
export interface InstitutionPlan {
  n: number;
  name: string;
  domain: string;
  type: string;
  timeZone: string;
  studentLo: number;
  students: number;
  courseLo: number;
  courses: number;
  instructorLo: number;
  instructors: number;
  taLo: number;
  tas: number;
  adminLo: number;
  admins: number;
}

export interface SeedPlan {
  scale: number;
  seedText: string;
  /** 48-bit integer derived from the seed text: the seed of every hash draw. */
  seedKey: number;
  anchor: Date;
  anchorEpoch: number;
  institutions: InstitutionPlan[];
  totals: { students: number; courses: number; instructors: number; tas: number; admins: number };
}

export function todayUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** The id the generator gives row `n` of `kind`: md5(seed:kind:n) read as a uuid (same as in SQL). */
export function seedId(seed: number | string, kind: string, n: number): string {
  const hex = createHash("md5").update(`${seed}:${kind}:${n}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Splits `total` by `weights` exactly (cumulative flooring), never below `min` per share. */
function allocate(total: number, weights: number[], min: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  let previous = 0;
  return weights.map((w) => {
    cumulative += w;
    const edge = Math.floor((total * cumulative) / sum);
    const share = edge - previous;
    previous = edge;
    return Math.max(min, share);
  });
}

export function planSeed(options: SeedOptions): SeedPlan {
  const { scale } = options;
  if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new RangeError(`scale must be a number in (0, ${MAX_SCALE}], got ${scale}`);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be an integer or a string, got ${seed}`);
  }
  const seedText = String(seed);
  if (seedText.length === 0 || seedText.length > 64) throw new RangeError("seed must be 1 to 64 characters");
  const anchor = options.anchor ?? todayUtc();
  if (Number.isNaN(anchor.getTime())) throw new RangeError("anchor must be a valid date");
  const anchorEpoch = Math.floor(anchor.getTime() / 1000);

  const count = Math.max(2, Math.round(3 * Math.sqrt(scale)));
  // Uneven sizes (weights 1 to 2), so tenants do not all look alike.
  const weights = Array.from({ length: count }, (_, i) => 1 + (((i + 1) * 7) % 5) / 4);
  const students = allocate(Math.max(Math.round(STUDENTS_PER_SCALE * scale), 20 * count), weights, 10);
  const courses = allocate(Math.max(Math.round(COURSES_PER_SCALE * scale), 6 * count), weights, 6);

  const institutions: InstitutionPlan[] = [];
  const next = { student: 1, course: 1, instructor: 1, ta: 1, admin: 1 };
  for (let i = 0; i < count; i++) {
    const base = INSTITUTIONS[i % INSTITUTIONS.length] as (typeof INSTITUTIONS)[number];
    const round = Math.floor(i / INSTITUTIONS.length);
    const studentCount = students[i] as number;
    const courseCount = courses[i] as number;
    // One instructor per category at least (a course is taught from its own department),
    // about three courses each.
    const instructors = 8 * Math.max(1, Math.round(courseCount / 24));
    const tas = Math.max(2, Math.round(instructors / 2));
    const admins = 2 + Math.floor(studentCount / 5000);
    institutions.push({
      n: i + 1,
      name: round === 0 ? base.name : `${base.name}, Campus ${round + 1}`,
      domain: round === 0 ? base.domain : `campus${round + 1}.${base.domain}`,
      type: base.type,
      timeZone: base.timeZone,
      studentLo: next.student,
      students: studentCount,
      courseLo: next.course,
      courses: courseCount,
      instructorLo: next.instructor,
      instructors,
      taLo: next.ta,
      tas,
      adminLo: next.admin,
      admins,
    });
    next.student += studentCount;
    next.course += courseCount;
    next.instructor += instructors;
    next.ta += tas;
    next.admin += admins;
  }

  const seedKey = Number.parseInt(createHash("md5").update(seedText).digest("hex").slice(0, 12), 16);
  return {
    scale,
    seedText,
    seedKey,
    anchor,
    anchorEpoch,
    institutions,
    totals: {
      students: next.student - 1,
      courses: next.course - 1,
      instructors: next.instructor - 1,
      tas: next.ta - 1,
      admins: next.admin - 1,
    },
  };
}
