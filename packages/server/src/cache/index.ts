/**
 * The read cache. Usage from a router (the query function stays the source of truth):
 *
 *   const key = cacheKeys.studentDashboard(institutionId, studentId);
 *   return ctx.cache.getOrCompute(key, ctx.cache.ttl.dashboardSeconds, () => getStudentDashboard(ctx.db, input));
 *
 * and from a writer, after its transaction has committed:
 *
 *   await ctx.cache.invalidate([cacheTags.student(institutionId, studentId), cacheTags.course(institutionId, courseId)]);
 *
 * Other entries: `cacheKey({ institutionId, name, params, tags })`; params are hashed.
 */
export { type CacheConfig, cacheConfigFromEnv } from "./config.ts";
export { createCache } from "./create-cache.ts";
export {
  type CacheKey,
  type CacheKeySpec,
  type CacheTag,
  cacheKey,
  cacheKeys,
  cacheTags,
  entityTag,
} from "./keys.ts";
export type { Cache, CacheLogger, CacheMode, CacheStats, CacheTtls, WarmEntry, WarmResult } from "./types.ts";
export {
  type PopularCourse,
  popularCourses,
  registerWarmup,
  startWarmup,
  type Warmup,
  type WarmupConfig,
  type WarmupStatus,
  warmupConfigFromEnv,
  warmupStatusOf,
} from "./warm.ts";
