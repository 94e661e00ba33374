/**
 * The few operations the versioned cache needs from a key-value store, each one round trip.
 * Redis implements them with ioredis; the in-process store with an LRU map.
 *
 * Reads take the `server` identity the caller built its keys with (see `server()`), and fail
 * with ServerChanged, before sending anything, when the connection now reaches another server.
 */
export interface CacheStore {
  readonly mode: "redis" | "memory";
  /**
   * Identifies the server behind the current connection (Redis: its run_id). It changes when
   * Redis restarts or fails over, and entry keys embed it, so entries written before a restart
   * are never read after it, even if a snapshot or a lagging replica brought them back along
   * with tag versions older than the invalidations made since.
   */
  server(): Promise<string>;
  /** The values of `keys`, null where absent (Redis: one MGET). */
  getMany(keys: readonly string[], server: string): Promise<(string | null)[]>;
  /** Sets each key to its value unless present; returns what each key holds afterwards. */
  setManyIfAbsent(
    entries: readonly (readonly [string, string])[],
    ttlSeconds: number,
    server: string,
  ): Promise<string[]>;
  /** Overwrites each key. */
  setMany(entries: readonly (readonly [string, string])[], ttlSeconds: number): Promise<void>;
  get(key: string, server: string): Promise<string | null>;
  /** Deletes the keys (Redis: one DEL). */
  delete(keys: readonly string[]): Promise<void>;
  /** Stores the value, and releases `lockKey` in the same round trip when given. */
  set(key: string, value: string, ttlSeconds: number, lockKey?: string): Promise<void>;
  /**
   * Cross-process lock (absent on the in-process store, where single-flight is enough): tries
   * to take `lockKey` and reads `key` in the same round trip, so a value stored just before the
   * lock was taken is not computed again.
   */
  tryLock?(
    lockKey: string,
    ttlMs: number,
    key: string,
    server: string,
  ): Promise<{ acquired: boolean; value: string | null }>;
  releaseLock?(lockKey: string): Promise<void>;
  /** Called whenever the connection becomes usable again. */
  onReady?(listener: () => void): void;
  close(): Promise<void>;
}

/** The connection now reaches another server than the one the caller's keys were built for. */
export class ServerChanged extends Error {
  constructor() {
    super("cache: the store's server changed");
  }
}
