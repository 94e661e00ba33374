import { type CacheConfig, cacheConfigFromEnv } from "./config.ts";
import { createOffCache } from "./off-cache.ts";
import { createMemoryStore } from "./stores/memory.ts";
import { createRedisStore } from "./stores/redis.ts";
import type { Cache, CacheLogger } from "./types.ts";
import { VersionedCache } from "./versioned-cache.ts";

/**
 * The process-wide cache: Redis when REDIS_URL is set, else in-process, or none with CACHE=off.
 * With Redis it waits briefly for the first connection, and starts anyway if Redis is down
 * (calls compute until it is reachable).
 */
export async function createCache(
  config: CacheConfig = cacheConfigFromEnv(),
  options: { logger?: CacheLogger } = {},
): Promise<Cache> {
  if (config.mode === "off") return createOffCache(config.ttl);
  const shared = {
    keyPrefix: config.keyPrefix,
    ttl: config.ttl,
    breakerFailures: config.breakerFailures,
    breakerCooldownMs: config.breakerCooldownMs,
    lockTtlMs: config.lockTtlMs,
    lockWaitMs: config.lockWaitMs,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  if (config.mode === "memory") return new VersionedCache(createMemoryStore(config.memoryMaxBytes), shared);
  if (!config.redisUrl) throw new Error("cache: mode redis needs a redisUrl");
  const store = await createRedisStore(config.redisUrl, config.redisTimeoutMs);
  return new VersionedCache(store, { ...shared, timeoutMs: config.redisTimeoutMs });
}
