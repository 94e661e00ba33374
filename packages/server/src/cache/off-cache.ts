import type { Cache, CacheStats, CacheTtls } from "./types.ts";

/** CACHE=off: every call computes (benchmarks of the database path, debugging). */
export function createOffCache(ttl: CacheTtls): Cache {
  let bypasses = 0;
  let invalidations = 0;
  return {
    mode: "off",
    ttl,
    async getOrCompute(_key, _ttlSeconds, compute) {
      bypasses += 1;
      return compute();
    },
    async invalidate(tags) {
      invalidations += tags.length;
    },
    async purge() {
      return true; // nothing is ever stored
    },
    async warm(entries) {
      return { entries: [...entries].length, computed: 0, failed: 0 };
    },
    stats(): CacheStats {
      return {
        mode: "off",
        hits: 0,
        misses: 0,
        coalesced: 0,
        bypasses,
        errors: 0,
        invalidations,
        pendingInvalidations: 0,
        breaker: "closed",
      };
    },
    async close() {},
  };
}
