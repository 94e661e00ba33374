import { type PoolUsage, poolUsage } from "@coursebase/db/monitoring/index";
import type { Cache, CacheStats } from "./types.ts";
import { type WarmupStatus, warmupStatusOf } from "./warm.ts";

/** What ops.runtime shows on the admin app's health page: this process's pool and cache. */
export interface RuntimeReport {
  /** Per database role (primary, replica): connections the pool may open, in use, and waiting. */
  pools: Array<PoolUsage & { utilisation: number }>;
  cache: CacheStats & {
    /** hits / (hits + misses): lookups answered by the store; null before the first lookup. */
    hitRate: number | null;
  };
  /** The start-up warming of popular courses (cache/warm.ts); null when this process never ran one. */
  warmup: WarmupStatus | null;
  uptimeSeconds: number;
}

/** Figures of this process only (every server process has its own pool and counters). */
export function runtimeReport(cache: Cache): RuntimeReport {
  const stats = cache.stats();
  const lookups = stats.hits + stats.misses;
  return {
    pools: poolUsage().map((usage) => ({
      ...usage,
      utilisation: usage.size > 0 ? Math.min(1, usage.inUse / usage.size) : 0,
    })),
    cache: { ...stats, hitRate: lookups > 0 ? stats.hits / lookups : null },
    warmup: warmupStatusOf(cache) ?? null,
    uptimeSeconds: Math.round(process.uptime()),
  };
}
