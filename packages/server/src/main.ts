/**
 * The process entry: builds the services from the environment and serves HTTP until SIGINT or
 * SIGTERM. Run directly (`tsx packages/server/src/main.ts`) it serves an already migrated
 * database; `pnpm start` (scripts/start.ts) first builds, migrates and seeds what is missing,
 * then calls `serve`.
 */

import { realpathSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import type { FastifyInstance } from "fastify";
import { registerWarmup } from "./cache/warm.ts";
import { type HttpConfig, httpConfigFromEnv } from "./http/config.ts";
import { createHttpServer, type HttpServerOptions } from "./http/server.ts";
import { createShutdown, exitOnSignals } from "./http/shutdown.ts";
import { registerScheduledJobs } from "./jobs/index.ts";
import { registerMonitoring } from "./monitoring/index.ts";
import { createServices, type ServicesHandle } from "./services.ts";

export interface RunningServer {
  app: FastifyInstance;
  /** Where to open it, e.g. http://127.0.0.1:3000/ */
  url: string;
  shutdown(reason: string): Promise<void>;
}

/** The URL a person can open: a wildcard bind address is reachable as localhost. */
export function publicUrl(address: AddressInfo): string {
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const host = wildcard ? "localhost" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

/**
 * Listens, installs the signal handlers and prints the one line saying where to open it. On a
 * failure to listen (port taken) it closes the services and rethrows with the fix in the message.
 */
export async function serve(
  services: ServicesHandle,
  config: HttpConfig = httpConfigFromEnv(),
  options: Omit<HttpServerOptions, "logLevel"> = {},
): Promise<RunningServer> {
  const app = await createHttpServer(services, { ...options, logLevel: config.logLevel });
  // Slow-statement log and alerts, and GET /metrics; stopped when the server closes.
  registerMonitoring(app, { cacheStats: () => services.cache.stats() });
  // Scheduled jobs (docs/jobs.md) unless JOBS=off; stopped when the server closes, before the database.
  registerScheduledJobs(app, services);
  // Popular courses' analytics computed into the cache once listening (cache/warm.ts), in the
  // background: readiness never waits for it; stopped when the server closes.
  const warmup = registerWarmup(app, services);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await services.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`port ${config.port} on ${config.host} is already in use: set PORT to a free port`);
    }
    throw error;
  }
  warmup.start();
  const shutdown = createShutdown(app, services);
  exitOnSignals(shutdown, app.log);
  const url = publicUrl(app.server.address() as AddressInfo);
  console.log(`Coursebase is ready: open ${url} (API at ${url}trpc, health at ${url}healthz)`);
  return { app, url, shutdown };
}

/** An error's message and its causes' (a failed query's cause holds PostgreSQL's own words). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.length > 0 ? parts.join("\ncaused by: ") : String(error);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  try {
    const services = await createServices();
    await serve(services);
  } catch (error) {
    console.error(`coursebase: ${describeError(error)}`);
    process.exit(1);
  }
}
