import type { CacheMode, CacheTtls } from "./types.ts";

/** How the cache runs, read from the environment by `cacheConfigFromEnv`. */
export interface CacheConfig {
  /** CACHE=off -> "off"; else REDIS_URL set -> "redis"; else "memory" (in-process LRU). */
  mode: CacheMode;
  redisUrl?: string;
  /** CACHE_KEY_PREFIX (default "cb:"): every key and tag version lives under it. */
  keyPrefix: string;
  /** CACHE_DASHBOARD_TTL_S (default 300), CACHE_ANALYTICS_TTL_S (default 1800). */
  ttl: CacheTtls;
  /** CACHE_REDIS_TIMEOUT_MS (default 100): bound on each Redis round trip. */
  redisTimeoutMs: number;
  /**
   * After CACHE_BREAKER_FAILURES (default 3) failed round trips in a row, Redis is skipped for
   * CACHE_BREAKER_COOLDOWN_MS (default 1000), then one call probes it.
   */
  breakerFailures: number;
  breakerCooldownMs: number;
  /**
   * Cross-process stampede lock on a miss: held at most lockTtlMs (CACHE_LOCK_TTL_MS, default
   * 5000); other processes wait at most lockWaitMs (CACHE_LOCK_WAIT_MS, default 1000) for the
   * holder's value before computing it themselves.
   */
  lockTtlMs: number;
  lockWaitMs: number;
  /** CACHE_MEMORY_MAX_MB (default 64): size bound of the in-process cache. */
  memoryMaxBytes: number;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function cacheConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CacheConfig {
  const cache = env.CACHE || "on";
  if (cache !== "on" && cache !== "off") throw new Error(`CACHE must be "on" or "off", got "${cache}"`);
  const redisUrl = env.REDIS_URL || undefined;
  const mode: CacheMode = cache === "off" ? "off" : redisUrl ? "redis" : "memory";
  return {
    mode,
    ...(redisUrl ? { redisUrl } : {}),
    keyPrefix: env.CACHE_KEY_PREFIX || "cb:",
    ttl: {
      dashboardSeconds: positiveInteger(env, "CACHE_DASHBOARD_TTL_S", 300),
      analyticsSeconds: positiveInteger(env, "CACHE_ANALYTICS_TTL_S", 1800),
    },
    redisTimeoutMs: positiveInteger(env, "CACHE_REDIS_TIMEOUT_MS", 100),
    breakerFailures: positiveInteger(env, "CACHE_BREAKER_FAILURES", 3),
    breakerCooldownMs: positiveInteger(env, "CACHE_BREAKER_COOLDOWN_MS", 1000),
    lockTtlMs: positiveInteger(env, "CACHE_LOCK_TTL_MS", 5000),
    lockWaitMs: positiveInteger(env, "CACHE_LOCK_WAIT_MS", 1000),
    memoryMaxBytes: positiveInteger(env, "CACHE_MEMORY_MAX_MB", 64) * 1024 * 1024,
  };
}
