/**
 * The cache proper, the same over Redis and the in-process store.
 *
 * Versioned keys. Every tag has a version, a random token kept in the store under
 * `<prefix>v:<tag>`. An entry's key embeds the versions of all its tags, read with one MGET,
 * and the identity of the Redis server (its run_id, learnt once per connection):
 *   <prefix>e:<institutionId>:<name>:<params digest>:<server>.<version of tag 1>.<version of tag 2>...
 * Invalidating a tag writes it a new token (one SET per tag, all in one round trip): every
 * entry that carried the old token is unreachable from then on and expires by its TTL. No key
 * is ever scanned. Tokens are random rather than INCRemented counters so that a lost version
 * (evicted under maxmemory, expired, flushed) can never come back to a number an old entry
 * still carries: a missing version is simply created afresh, and its old entries are orphaned.
 * That also lets version keys carry a TTL instead of piling up forever. The server identity
 * does the same for a Redis that restarts from a snapshot or fails over to a lagging replica:
 * what was cached before is never read after, whatever versions came back with it.
 *
 * Readers read the versions before computing and writers invalidate after committing, so once
 * invalidate() has returned no read started afterwards sees data older than the write: a
 * computation that raced the write stores its value under the old versions, where nobody looks.
 *
 * Stampedes. Concurrent misses on one entry in this process share one computation
 * (single-flight on the versioned key, so a read after an invalidation never joins a
 * computation that started before it). On Redis a short lock (SET NX PX) also makes other
 * processes wait for the holder's value, at most lockWaitMs, instead of computing it too.
 *
 * Failures. Every round trip is bounded by the timeout, and a call stops using the store at
 * its first failure and computes: the store never fails a request, and a dead or hung one
 * costs a call at most one timeout. (A hit takes two round trips: versions, entry; a miss two
 * more: lock, then the write, which the caller does not wait for.) A circuit breaker skips the
 * store for a short while after repeated failures; a reconnection closes it.
 *
 * Invalidation while the store is unreachable. The tag is kept as pending; until its new
 * version is written, this process computes every entry carrying it rather than read the store
 * (which may still hold the old entry, e.g. when only this process lost its connection).
 * Pending versions are written on reconnection or after the next successful round trip,
 * whichever comes first. Guarantee: this process never serves an entry older than an
 * invalidation it accepted; other processes still connected to the same Redis may serve it
 * until this process reaches Redis again (it retries on reconnection), and never longer than
 * the entry's TTL, even if this process dies with the invalidation still pending. If Redis
 * itself went down, nothing cached before is served after it returns (server identity).
 */
import { randomBytes } from "node:crypto";
import superjson from "superjson";
import { type BreakerState, CircuitBreaker } from "./breaker.ts";
import type { CacheKey, CacheTag } from "./keys.ts";
import { cacheTags, institutionOfTag } from "./keys.ts";
import { type CacheStore, ServerChanged } from "./stores/store.ts";
import type { Cache, CacheLogger, CacheStats, CacheTtls, WarmEntry, WarmResult } from "./types.ts";

/** Lifetime of a tag version: when one expires its entries are recomputed once, nothing worse. */
const VERSION_TTL_SECONDS = 2 * 24 * 3600;
/** Beyond this many pending tags, they are collapsed into their institutions' tags. */
const MAX_PENDING_TAGS = 10_000;

export interface VersionedCacheOptions {
  keyPrefix: string;
  ttl: CacheTtls;
  /** Bound on each store round trip; none for the in-process store. */
  timeoutMs?: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  lockTtlMs: number;
  lockWaitMs: number;
  logger?: CacheLogger;
}

/** The store could not be used for this call: it failed, timed out, or the circuit is open. */
class StoreUnavailable extends Error {}

export class VersionedCache implements Cache {
  readonly mode: "redis" | "memory";
  readonly ttl: CacheTtls;
  private readonly breaker: CircuitBreaker;
  /** Computations running in this process, by versioned entry key; they resolve to the serialized value. */
  private readonly flights = new Map<string, Promise<string>>();
  /** Tags whose new version has not reached the store, with the sequence number of their last invalidation. */
  private readonly pending = new Map<CacheTag, number>();
  private pendingSequence = 0;
  private flushing: Promise<void> | undefined;
  /** Writes not awaited by the request that made them. */
  private readonly backgroundWrites = new Set<Promise<unknown>>();
  private readonly counters = { hits: 0, misses: 0, coalesced: 0, bypasses: 0, errors: 0, invalidations: 0 };
  private closed = false;

  constructor(
    private readonly store: CacheStore,
    private readonly options: VersionedCacheOptions,
  ) {
    this.mode = store.mode;
    this.ttl = options.ttl;
    this.breaker = new CircuitBreaker(
      { failures: options.breakerFailures, cooldownMs: options.breakerCooldownMs },
      (state, error) => this.logBreaker(state, error),
    );
    store.onReady?.(() => {
      this.breaker.success();
      void this.flushPending();
    });
  }

  async getOrCompute<T>(key: CacheKey, ttlSeconds: number, compute: () => Promise<T>): Promise<T> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
      throw new TypeError("cache: ttlSeconds must be a positive integer");
    if (this.closed) return this.bypass(compute);
    if (this.isPending(key)) {
      await this.flushPending();
      if (this.isPending(key)) return this.bypass(compute);
    }
    let located: { body: string; server: string };
    try {
      located = await this.locate(key);
    } catch {
      return this.bypass(compute);
    }
    const entryKey = `${this.options.keyPrefix}e:${located.body}`;
    let flight = this.flights.get(entryKey);
    if (flight) {
      this.counters.coalesced += 1;
    } else {
      const lockKey = `${this.options.keyPrefix}l:${located.body}`;
      const started: Promise<string> = this.fill(entryKey, lockKey, located.server, ttlSeconds, compute);
      flight = started.finally(() => this.flights.delete(entryKey));
      this.flights.set(entryKey, flight);
    }
    // Each caller parses its own copy: no caller can alter what another one receives.
    return superjson.parse<T>(await flight);
  }

  async invalidate(tags: readonly CacheTag[]): Promise<void> {
    for (const tag of tags) institutionOfTag(tag); // rejects anything that is not a tag
    this.counters.invalidations += tags.length;
    if (this.closed || tags.length === 0) return;
    for (const tag of tags) this.pending.set(tag, ++this.pendingSequence);
    if (this.pending.size > MAX_PENDING_TAGS) this.collapsePending();
    // A flush already running does not write these tags' versions: let it end, then flush again.
    if (this.flushing) await this.flushing;
    await this.flushPending();
  }

  async purge(keys: readonly CacheKey[]): Promise<boolean> {
    if (this.closed || keys.length === 0) return true;
    try {
      const located = await Promise.all(keys.map((key) => this.locate(key)));
      await this.guard(() => this.store.delete(located.map(({ body }) => `${this.options.keyPrefix}e:${body}`)));
      return true;
    } catch {
      return false; // unreachable store: the caller's invalidation still makes them unreadable
    }
  }

  async warm(entries: Iterable<WarmEntry>, options: { concurrency?: number } = {}): Promise<WarmResult> {
    const result: WarmResult = { entries: 0, computed: 0, failed: 0 };
    const iterator = entries[Symbol.iterator]();
    const worker = async () => {
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        const { key, ttlSeconds, compute } = next.value;
        result.entries += 1;
        try {
          await this.getOrCompute(key, ttlSeconds, () => {
            result.computed += 1;
            return compute();
          });
        } catch {
          result.failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
    return result;
  }

  stats(): CacheStats {
    return {
      mode: this.mode,
      ...this.counters,
      pendingInvalidations: this.pending.size,
      breaker: this.breaker.state,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.backgroundWrites]);
    await this.store.close();
  }

  // Reading ----------------------------------------------------------------------------------

  /**
   * The entry's key body, `<institutionId>:<name>:<digest>:<server>.<tag versions...>`, creating
   * the versions that do not exist yet, and the server it is valid on.
   */
  private async locate(key: CacheKey): Promise<{ body: string; server: string }> {
    const server = await this.guard(() => this.store.server());
    const versionKeys = key.tags.map((tag) => this.versionKey(tag));
    const versions = await this.guard(() => this.store.getMany(versionKeys, server));
    const missing = versions.flatMap((version, index) => (version ? [] : [index]));
    if (missing.length > 0) {
      const created = await this.guard(() =>
        this.store.setManyIfAbsent(
          missing.map((index) => [versionKeys[index] as string, randomBytes(8).toString("base64url")] as const),
          VERSION_TTL_SECONDS,
          server,
        ),
      );
      missing.forEach((index, position) => {
        versions[index] = created[position] as string;
      });
    }
    return { body: `${key.institutionId}:${key.name}:${key.digest}:${[server, ...versions].join(".")}`, server };
  }

  /** The serialized value of one entry: from the store, or computed (once) and stored. */
  private async fill(
    entryKey: string,
    lockKey: string,
    server: string,
    ttlSeconds: number,
    compute: () => Promise<unknown>,
  ): Promise<string> {
    let stored: string | null;
    let lockHeld = false;
    try {
      stored = await this.guard(() => this.store.get(entryKey, server));
      if (stored === null && this.store.tryLock) {
        const lock = await this.lockOrWait(entryKey, lockKey, server);
        stored = lock.value;
        lockHeld = lock.acquired;
      }
    } catch {
      return superjson.stringify(await this.bypass(compute));
    }
    if (stored !== null) {
      this.counters.hits += 1;
      return stored;
    }
    this.counters.misses += 1;
    let serialized: string;
    try {
      serialized = superjson.stringify(await compute());
    } catch (error) {
      if (lockHeld) this.inBackground(() => this.store.releaseLock?.(lockKey) ?? Promise.resolve());
      throw error;
    }
    // Not awaited: the caller has its value; a later read on the same connection sees the write.
    this.inBackground(() => this.store.set(entryKey, serialized, ttlSeconds, lockHeld ? lockKey : undefined));
    return serialized;
  }

  /**
   * Takes the entry's lock, or waits (bounded) for the process holding it to store the value;
   * retrying the lock rather than only reading the entry means a holder whose computation
   * failed (it releases the lock) is replaced at once. Returns the value if it appeared, else
   * whether this call holds the lock.
   */
  private async lockOrWait(
    entryKey: string,
    lockKey: string,
    server: string,
  ): Promise<{ acquired: boolean; value: string | null }> {
    const tryLock = this.store.tryLock;
    if (!tryLock) return { acquired: false, value: null };
    const deadline = Date.now() + this.options.lockWaitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const attempt = await this.guard(() =>
        tryLock.call(this.store, lockKey, this.options.lockTtlMs, entryKey, server),
      );
      if (attempt.acquired && attempt.value !== null) {
        this.inBackground(() => this.store.releaseLock?.(lockKey) ?? Promise.resolve());
      }
      if (attempt.acquired || attempt.value !== null) return attempt;
      const left = deadline - Date.now();
      // The holder is slow or gone: compute without the lock (its TTL frees it).
      if (left <= 0) return { acquired: false, value: null };
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    }
  }

  private async bypass<T>(compute: () => Promise<T>): Promise<T> {
    this.counters.bypasses += 1;
    return compute();
  }

  // Invalidation -----------------------------------------------------------------------------

  private isPending(key: CacheKey): boolean {
    return this.pending.size > 0 && key.tags.some((tag) => this.pending.has(tag));
  }

  /** Writes new versions for the pending tags, in one round trip; those that fail stay pending. */
  private flushPending(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0 || this.closed) return Promise.resolve();
    const batch = [...this.pending];
    this.flushing = this.guard(() =>
      this.store.setMany(
        batch.map(([tag]) => [this.versionKey(tag), randomBytes(8).toString("base64url")] as const),
        VERSION_TTL_SECONDS,
      ),
    )
      .then(
        () => {
          // A tag invalidated again while this write was on its way stays pending: the write
          // may have reached the store before the data changed the second time.
          for (const [tag, sequence] of batch) if (this.pending.get(tag) === sequence) this.pending.delete(tag);
        },
        () => {}, // stays pending; counted and logged by guard
      )
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Bounds the pending set by trading exactness for safety: whole institutions are dropped. */
  private collapsePending(): void {
    const institutions = new Set([...this.pending.keys()].map(institutionOfTag));
    this.pending.clear();
    for (const institutionId of institutions)
      this.pending.set(cacheTags.institution(institutionId), ++this.pendingSequence);
  }

  // Store access -----------------------------------------------------------------------------

  private versionKey(tag: CacheTag): string {
    return `${this.options.keyPrefix}v:${tag}`;
  }

  /** One round trip, bounded by the timeout, through the circuit breaker. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    if (!this.breaker.allow()) throw new StoreUnavailable("cache: circuit open");
    let timer: NodeJS.Timeout | undefined;
    try {
      const attempt = operation();
      const result =
        this.options.timeoutMs === undefined
          ? await attempt
          : await Promise.race([
              attempt,
              new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () => reject(new StoreUnavailable(`cache: no reply within ${this.options.timeoutMs} ms`)),
                  this.options.timeoutMs,
                );
              }),
            ]);
      this.breaker.success();
      if (this.pending.size > 0 && !this.flushing) void this.flushPending();
      return result;
    } catch (error) {
      // A reconnection to another server is no failure of the store: only this call's keys are stale.
      if (!(error instanceof ServerChanged)) {
        this.counters.errors += 1;
        this.breaker.failure(error);
      }
      throw new StoreUnavailable("cache: store unavailable", { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private inBackground(write: () => Promise<unknown>): void {
    const running = this.guard(write).catch(() => {}); // counted and logged by guard
    this.backgroundWrites.add(running);
    void running.finally(() => this.backgroundWrites.delete(running));
  }

  private logBreaker(state: BreakerState, error?: unknown): void {
    const logger = this.options.logger;
    if (!logger) return;
    if (state === "open") {
      // Redis errors name no key or value; the message is safe to log.
      const cause = error instanceof Error ? { type: error.name, message: error.message } : undefined;
      logger.warn(
        { cache: this.mode, cooldownMs: this.options.breakerCooldownMs, cause },
        "cache store unavailable: serving from the database",
      );
    } else if (state === "closed") {
      logger.info({ cache: this.mode, pendingInvalidations: this.pending.size }, "cache store available again");
    }
  }
}
