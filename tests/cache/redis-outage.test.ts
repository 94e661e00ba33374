/**
 * Redis going away under a running cache. Each test starts its own redis-server on a free port
 * (the machine's Redis on 6379 serves other tests and is never touched), then kills, pauses or
 * restarts it. The "source" stands for the database: it numbers its answers, so a test can tell
 * a value computed now from one served by the cache.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Cache,
  type CacheLogger,
  cacheConfigFromEnv,
  cacheKey,
  cacheKeys,
  cacheTags,
  createCache,
} from "@coursebase/server/cache/index";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const TTL = 300;

function source(name: string) {
  const state = {
    calls: 0,
    compute: async () => {
      state.calls += 1;
      return `${name}#${state.calls}`;
    },
  };
  return state;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; a generous deadline turns a hang into a clear failure, not a timing assertion. */
async function waitFor(what: string, condition: () => Promise<boolean> | boolean, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A throw-away redis-server, child of this test process; snapshots (only on SAVE) go to its own directory. */
class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), await mkdtemp(join(tmpdir(), "cb-cache-redis-")));
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        ...["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        ...["--daemonize", "no", "--dir", this.dir, "--dbfilename", "dump.rdb"],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const onExit = (code: number | null) => reject(new Error(`redis-server exited (${code}): ${output}`));
      child.once("exit", onExit);
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          child.off("exit", onExit);
          resolve();
        }
      });
    });
    this.child = child;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGCONT"); // a paused server would not die of SIGKILL's aftermath cleanly otherwise
    child.kill("SIGKILL");
    await exited;
  }

  /** Hangs the server: connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A TCP relay to a Redis port that the test can cut (dropping every connection, refusing new ones) and restore. */
class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private up = true;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CuttableProxy> {
    const server = createServer((client) => proxy.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const proxy = new CuttableProxy(server, typeof address === "object" && address ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private relay(client: Socket, targetPort: number): void {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Round trips that fail do so at once here (connection refused or closed), except while the
 * server is paused; a generous timeout elsewhere keeps a busy machine from failing a test.
 */
function openCache(server: { url: string }, options: { timeoutMs?: number; logger?: CacheLogger } = {}) {
  return createCache(
    cacheConfigFromEnv({
      REDIS_URL: server.url,
      CACHE_KEY_PREFIX: "outage:",
      CACHE_REDIS_TIMEOUT_MS: String(options.timeoutMs ?? 1000),
      CACHE_BREAKER_COOLDOWN_MS: "200",
    }),
    options.logger ? { logger: options.logger } : {},
  );
}

describe("cache when Redis goes away", () => {
  let server: RedisServer;
  const caches: Cache[] = [];
  beforeEach(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    await server.destroy();
  });

  it("killed mid-test: no call fails, values come from the source, caching resumes when it is back", async () => {
    const logged: string[] = [];
    const logger = {
      info: (_: object, message: string) => logged.push(message),
      warn: (_: object, message: string) => logged.push(message),
    };
    const cache = await openCache(server, { logger });
    caches.push(cache);
    const institution = randomUUID();
    const key = cacheKeys.studentDashboard(institution, randomUUID());
    const dashboard = source("dashboard");
    const read = () => cache.getOrCompute(key, TTL, dashboard.compute);

    expect(await read()).toBe("dashboard#1");
    expect(await read()).toBe("dashboard#1");

    // Calls in flight when Redis dies, on keys of their own.
    const others = Array.from({ length: 30 }, (_, index) => {
      const other = source(`other${index}`);
      return cache.getOrCompute(cacheKeys.studentDashboard(institution, randomUUID()), TTL, other.compute);
    });
    await server.kill();
    expect(await Promise.all(others)).toEqual(Array.from({ length: 30 }, (_, index) => `other${index}#1`));

    for (let call = 2; call <= 21; call += 1) expect(await read()).toBe(`dashboard#${call}`);
    const down = cache.stats();
    expect(down.errors).toBeGreaterThan(0);
    expect(down.bypasses).toBeGreaterThanOrEqual(20);
    expect(logged).toContain("cache store unavailable: serving from the database");

    await server.start(); // empty: no snapshot was saved
    await waitFor("the cache to serve from Redis again", async () => {
      const calls = dashboard.calls;
      await read();
      return dashboard.calls === calls;
    });
    const value = await read();
    expect(await read()).toBe(value);
    expect(cache.stats().breaker).toBe("closed");
    expect(logged).toContain("cache store available again");
  });

  it("hung (SIGSTOP): calls time out into the source, an invalidation made meanwhile is honoured after it wakes", async () => {
    const cache = await openCache(server, { timeoutMs: 250 });
    caches.push(cache);
    const institution = randomUUID();
    const [alice, bob] = [randomUUID(), randomUUID()];
    const aliceDashboard = source("alice");
    const bobDashboard = source("bob");
    const readAlice = () =>
      cache.getOrCompute(cacheKeys.studentDashboard(institution, alice), TTL, aliceDashboard.compute);
    const readBob = () => cache.getOrCompute(cacheKeys.studentDashboard(institution, bob), TTL, bobDashboard.compute);
    expect([await readAlice(), await readBob()]).toEqual(["alice#1", "bob#1"]);

    server.pause();
    await cache.invalidate([cacheTags.student(institution, alice)]); // does not throw, does not hang
    expect(cache.stats().pendingInvalidations).toBe(1);
    expect(await readAlice()).toBe("alice#2");
    for (let call = 0; call < 10; call += 1) expect(await readBob()).toMatch(/^bob#/);
    expect(cache.stats().errors).toBeGreaterThan(0);

    server.resume();
    await waitFor("the cache to recover", async () => {
      await readBob();
      const stats = cache.stats();
      return stats.pendingInvalidations === 0 && stats.breaker === "closed";
    });
    // Bob's entry from before the outage is still valid and served; Alice's is not.
    await waitFor("Bob's entry from before the outage", async () => (await readBob()) === "bob#1");
    const aliceAfter = await readAlice();
    expect(aliceAfter).not.toBe("alice#1");
    expect(await readAlice()).toBe(aliceAfter);
  });

  it("restarted from a snapshot: nothing cached before the restart is served after it", async () => {
    // Two caches on two connections stand for two API processes sharing Redis.
    const [writer, reader] = [await openCache(server), await openCache(server)];
    caches.push(writer, reader);
    const institution = randomUUID();
    const [alice, bob] = [randomUUID(), randomUUID()];
    const x = source("x");
    const y = source("y");
    const xKey = cacheKey({
      institutionId: institution,
      name: "test.x",
      tags: [cacheTags.student(institution, alice)],
    });
    const yKey = cacheKey({ institutionId: institution, name: "test.y", tags: [cacheTags.student(institution, bob)] });
    expect(await writer.getOrCompute(xKey, TTL, x.compute)).toBe("x#1");
    expect(await writer.getOrCompute(yKey, TTL, y.compute)).toBe("y#1");
    expect(await reader.getOrCompute(xKey, TTL, x.compute)).toBe("x#1");

    const admin = new Redis(server.url);
    await admin.save();
    await admin.quit();
    await server.kill();

    // Alice's data changes while Redis is down: the writer cannot tell Redis, and keeps it pending.
    await writer.invalidate([cacheTags.student(institution, alice)]);
    expect(writer.stats().pendingInvalidations).toBe(1);
    expect(await writer.getOrCompute(xKey, TTL, x.compute)).toBe("x#2");

    await server.start(); // loads the snapshot: the old entries and the old versions are back
    const inspect = new Redis(server.url);
    // KEYS in a test only: the stale entries are really there.
    expect(await inspect.keys("outage:e:*:test.[xy]:*")).toHaveLength(2);
    await inspect.quit();

    const served: string[] = [];
    await waitFor("the reader to cache y again", async () => {
      const hits = reader.stats().hits;
      served.push(await reader.getOrCompute(yKey, TTL, y.compute));
      return reader.stats().hits > hits;
    });
    expect(served).not.toContain("y#1");
    const xNow = await reader.getOrCompute(xKey, TTL, x.compute);
    expect(xNow).not.toBe("x#1");
    expect(await reader.getOrCompute(xKey, TTL, x.compute)).toBe(xNow);
    await waitFor("the writer to publish its pending invalidation", () => writer.stats().pendingInvalidations === 0);
  });

  it("cut off from Redis while others are not: its invalidation reaches them when the connection returns", async () => {
    const proxy = await CuttableProxy.start(server.port);
    try {
      // The writer reaches Redis through a link the test can cut; the reader directly.
      const writer = await openCache(proxy);
      const reader = await openCache(server);
      caches.push(writer, reader);
      const institution = randomUUID();
      const [alice, bob] = [randomUUID(), randomUUID()];
      const x = source("x");
      const y = source("y");
      const xKey = cacheKey({
        institutionId: institution,
        name: "test.x",
        tags: [cacheTags.student(institution, alice)],
      });
      const yKey = cacheKey({
        institutionId: institution,
        name: "test.y",
        tags: [cacheTags.student(institution, bob)],
      });
      expect(await writer.getOrCompute(xKey, TTL, x.compute)).toBe("x#1");
      expect(await writer.getOrCompute(yKey, TTL, y.compute)).toBe("y#1");
      expect(await reader.getOrCompute(xKey, TTL, x.compute)).toBe("x#1");

      proxy.cut();
      await writer.invalidate([cacheTags.student(institution, alice)]); // unreachable: kept pending
      expect(writer.stats().pendingInvalidations).toBe(1);
      // The writer itself never serves the old entry...
      expect(await writer.getOrCompute(xKey, TTL, x.compute)).toBe("x#2");
      // ...but a process that still reaches Redis does, until the writer is back: the documented bound.
      expect(await reader.getOrCompute(xKey, TTL, x.compute)).toBe("x#1");

      proxy.restore();
      await waitFor("the writer to publish its pending invalidation", () => writer.stats().pendingInvalidations === 0);
      const xNow = await reader.getOrCompute(xKey, TTL, x.compute);
      expect(xNow).toBe(`x#${x.calls}`);
      expect(xNow).not.toBe("x#1");
      // Exact: Bob's entry, on the same Redis that never went away, is still served.
      expect(await reader.getOrCompute(yKey, TTL, y.compute)).toBe("y#1");
      expect(y.calls).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});
