import type { CacheKey, CacheTag } from "./keys.ts";

export type CacheMode = "redis" | "memory" | "off";

/** Time-to-live of the cached read models, in seconds (from CACHE_*_TTL_S). */
export interface CacheTtls {
  dashboardSeconds: number;
  analyticsSeconds: number;
}

export interface WarmEntry<T = unknown> {
  key: CacheKey;
  ttlSeconds: number;
  compute: () => Promise<T>;
}

export interface WarmResult {
  /** Entries handed to warm(). */
  entries: number;
  /** Of those, how many were computed (the others were already cached, or the cache is off). */
  computed: number;
  /** Entries whose computation threw; warm() never throws for them. */
  failed: number;
}

/**
 * Counters since the cache was created, for /metrics. Each getOrCompute call counts once as a
 * hit, a miss, coalesced or a bypass; `errors` counts failed store round trips (a call that met
 * one counts as a bypass too).
 */
export interface CacheStats {
  mode: CacheMode;
  /** Served from the store. */
  hits: number;
  /** Not in the store: computed by this call and stored. */
  misses: number;
  /** Joined a computation of the same entry already running in this process. */
  coalesced: number;
  /** Computed without the cache: store unreachable, circuit open, pending invalidation, or CACHE=off. */
  bypasses: number;
  /** Store round trips that failed or timed out. */
  errors: number;
  /** Tags invalidated (one per tag per invalidate call). */
  invalidations: number;
  /** Tags whose invalidation has not reached the store yet (it was unreachable). */
  pendingInvalidations: number;
  /** Circuit breaker in front of the store: "open" means the store is skipped for a while. */
  breaker: "closed" | "open" | "half-open";
}

export interface Cache {
  readonly mode: CacheMode;
  readonly ttl: CacheTtls;
  /**
   * The cached value of `key`, or `compute()` stored for `ttlSeconds` (a positive integer).
   * Values go through superjson (Dates, Maps, undefined survive), so every caller gets its own
   * copy. Concurrent misses on one entry compute once. Never fails because of the cache: when
   * the store is slow or down the value is computed; errors thrown by `compute` propagate.
   */
  getOrCompute<T>(key: CacheKey, ttlSeconds: number, compute: () => Promise<T>): Promise<T>;
  /**
   * Makes every entry carrying one of `tags` unreachable: the next read recomputes. Call it
   * after the write that changes the data has committed. Never throws because of the store.
   */
  invalidate(tags: readonly CacheTag[]): Promise<void>;
  /**
   * Deletes the stored values of `keys` as they stand now (their current versions), for data
   * that must not even sit unread until its TTL: a person's cached views when they are erased.
   * Call it after the write has committed, then `invalidate` their tags (which covers entries
   * written by computations that raced it). Never throws because of the store; returns whether
   * the store was reached.
   */
  purge(keys: readonly CacheKey[]): Promise<boolean>;
  /** Computes the entries that are not cached yet, a few at a time (start-up warming). */
  warm(entries: Iterable<WarmEntry>, options?: { concurrency?: number }): Promise<WarmResult>;
  stats(): CacheStats;
  close(): Promise<void>;
}

export interface CacheLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}
