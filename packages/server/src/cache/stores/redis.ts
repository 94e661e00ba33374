import { Redis } from "ioredis";
import { type CacheStore, ServerChanged } from "./store.ts";

/** How long createRedisStore waits for the first connection before serving without Redis. */
const STARTUP_WAIT_MS = 2000;

/**
 * Redis through ioredis, configured to fail fast rather than queue (the seed guide's
 * `maxRetriesPerRequest: 3` with the offline queue on makes a request wait through reconnect
 * attempts while Redis is down, and `retryDelayOnFailover` is not an option of a standalone client):
 * - no offline queue: a command sent while disconnected fails at once;
 * - maxRetriesPerRequest 0: commands in flight when the connection drops fail at once;
 * - reconnection keeps trying every second at most, so the cache resumes by itself.
 * The cache bounds each round trip with its own timer. ioredis's commandTimeout is not used:
 * it also bounds the connection handshake, and a handshake a little slower than a tight
 * timeout on a busy machine would make ioredis reconnect forever.
 */
export async function createRedisStore(url: string, timeoutMs: number): Promise<CacheStore> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(1000, timeoutMs),
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  // Connection errors surface as failed commands (counted and logged by the cache); without a
  // listener ioredis would print every reconnection failure.
  redis.on("error", () => {});
  // Start when connected, at once if nothing listens there, else after a bounded wait.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, STARTUP_WAIT_MS);
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED" || error.code === "ENOTFOUND" || error.code === "EHOSTUNREACH") done();
    };
    redis.once("ready", done);
    redis.on("error", onError);
    function done() {
      clearTimeout(timer);
      redis.off("ready", done);
      redis.off("error", onError);
      resolve();
    }
  });

  // The server identity of the current connection, forgotten the moment it closes: until the
  // new connection's INFO has answered, reads fail with ServerChanged and calls compute.
  let connection = 0;
  let serverId: string | undefined;
  let asking: Promise<string> | undefined;
  redis.on("close", () => {
    connection += 1;
    serverId = undefined;
    asking = undefined;
  });
  const sameServer = (server: string) => {
    if (server !== serverId) throw new ServerChanged();
  };

  const store: CacheStore = {
    mode: "redis",
    server() {
      if (serverId !== undefined) return Promise.resolve(serverId);
      if (asking === undefined) {
        const askedOn = connection;
        const asked = redis.info("server").then(
          (text) => runIdOf(text),
          (error: Error) => {
            // A Redis that refuses INFO (ACLs) cannot tell a restart: run without that guard.
            if (/NOPERM|unknown command/i.test(error.message)) return "unknown";
            throw error;
          },
        );
        asking = asked;
        asked.then(
          (id) => {
            if (connection === askedOn) serverId = id;
            if (asking === asked) asking = undefined;
          },
          () => {
            if (asking === asked) asking = undefined;
          },
        );
      }
      return asking;
    },
    async getMany(keys, server) {
      sameServer(server);
      return redis.mget(...keys);
    },
    async setManyIfAbsent(entries, ttlSeconds, server) {
      sameServer(server);
      const pipeline = redis.pipeline();
      for (const [key, value] of entries) pipeline.set(key, value, "EX", ttlSeconds, "NX").get(key);
      const replies = await execute(pipeline);
      return entries.map((_, index) => {
        const value = replies[index * 2 + 1];
        if (typeof value !== "string") throw new Error("cache: a version disappeared while it was being set");
        return value;
      });
    },
    async setMany(entries, ttlSeconds) {
      const pipeline = redis.pipeline();
      for (const [key, value] of entries) pipeline.set(key, value, "EX", ttlSeconds);
      await execute(pipeline);
    },
    async get(key, server) {
      sameServer(server);
      return redis.get(key);
    },
    async delete(keys) {
      if (keys.length > 0) await redis.del(...keys);
    },
    async set(key, value, ttlSeconds, lockKey) {
      const pipeline = redis.pipeline().set(key, value, "EX", ttlSeconds);
      if (lockKey !== undefined) pipeline.del(lockKey);
      await execute(pipeline);
    },
    async tryLock(lockKey, ttlMs, key, server) {
      sameServer(server);
      const [taken, value] = await execute(redis.pipeline().set(lockKey, "1", "PX", ttlMs, "NX").get(key));
      return { acquired: taken === "OK", value: typeof value === "string" ? value : null };
    },
    async releaseLock(lockKey) {
      await redis.del(lockKey);
    },
    onReady(listener) {
      redis.on("ready", listener);
    },
    async close() {
      try {
        await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      } catch {
        // Already disconnected.
      } finally {
        redis.disconnect();
      }
    },
  };
  // Learn the server's identity as soon as a connection is up, not on the first call.
  const learnServer = () => void store.server().catch(() => {});
  redis.on("ready", learnServer);
  if (redis.status === "ready") learnServer();
  return store;
}

/** The first 16 hex digits of the server's run_id: random per start of a Redis process. */
function runIdOf(info: string): string {
  const runId = /^run_id:([0-9a-f]+)/m.exec(info)?.[1];
  if (!runId) throw new Error("cache: INFO server gave no run_id");
  return runId.slice(0, 16);
}

/** Runs a pipeline and returns its replies, throwing the first command error. */
async function execute(pipeline: ReturnType<Redis["pipeline"]>): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (results === null) throw new Error("cache: pipeline was discarded");
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
