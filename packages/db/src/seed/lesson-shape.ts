import { type SQL, sql } from "drizzle-orm";
import { type Draw, lit, weightedIndex } from "./random.ts";

/**
 * Shared formulas. Each is used by more than one statement, and the statements must agree
 * (a progress row's time is also when the assignment after that lesson became available).
 */

/** lesson_type enum order; weights of the mix. */
export const LESSON_TYPES = ["VIDEO", "TEXT", "QUIZ", "ASSIGNMENT", "INTERACTIVE"] as const;
export const LESSON_TYPE_WEIGHTS = [40, 25, 15, 8, 12];

/** Module and lesson numbers: a course has at most 99 modules of at most 99 lessons. */
export function moduleNumber(courseN: SQL, k: SQL): SQL {
  return sql`((${courseN})::int8 * 100 + (${k}))`;
}

export function lessonNumber(courseN: SQL, k: SQL, j: SQL): SQL {
  return sql`(${moduleNumber(courseN, k)} * 100 + (${j}))`;
}

export function lessonTypeIndex(draw: Draw, lessonN: SQL): SQL {
  return weightedIndex(draw.unit("lessonType", lessonN), LESSON_TYPE_WEIGHTS);
}

/** Minutes, by type: short videos and readings, longer assignments and labs. */
export function lessonDuration(draw: Draw, lessonN: SQL, typeIndex: SQL): SQL {
  const span = (lo: number, width: number) => sql`${lit(lo)} + ${draw.below("lessonDuration", lessonN, width)}`;
  return sql`(case ${typeIndex}
    when 0 then ${span(4, 22)}
    when 1 then ${span(5, 16)}
    when 2 then ${span(10, 11)}
    when 3 then ${span(30, 61)}
    else ${span(15, 31)} end)`;
}

/** Progress row number of lesson `ord` (1-based, course order) of enrollment `en`. */
export function progressNumber(en: SQL, ord: SQL): SQL {
  return sql`((${en}) * 100 + (${ord}))`;
}

/**
 * When an enrollment touched its lesson `ord` (1..touched). The activity window [e0, wend] is
 * cut into `touched` equal slots, one lesson per slot at a random point of it, so times rise
 * with the course order; the last touched lesson is exactly at `wend`, which therefore is the
 * enrollment's last access (and its completion time when it is completed).
 */
export function slotTime(draw: Draw, e: { en: SQL; e0: SQL; wend: SQL; touched: SQL }, ord: SQL): SQL {
  return sql`(case when (${ord}) = ${e.touched} then ${e.wend}
    else ${e.e0} + floor((${e.wend} - ${e.e0}) * ((${ord}) - 1 + ${draw.unit("progressSlot", progressNumber(e.en, ord))})
                         / ${e.touched})::int8 end)`;
}
