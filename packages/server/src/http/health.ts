import type { DatabaseHandle } from "@coursebase/db";
import type { FastifyInstance } from "fastify";

export type Readiness =
  | { ready: true; database: DatabaseHandle["driver"]; latencyMs: number }
  | { ready: false; reason: string };

/**
 * Ready means the primary database answers `select 1` within `timeoutMs`. A database that
 * hangs (pool exhausted, network partition) is as unready as one that refuses, so the probe
 * races a timer instead of waiting for the driver's own, much longer, timeouts.
 */
export async function checkReadiness(database: DatabaseHandle, timeoutMs: number): Promise<Readiness> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const probe = Promise.resolve().then(() => database.db.execute("select 1"));
  try {
    await Promise.race([probe, timeout]);
    return { ready: true, database: database.driver, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    // A late rejection of the probe after the timer won must not become an unhandled one.
    probe.catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    return { ready: false, reason: message.startsWith("database") ? message : `database: ${message}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /healthz: liveness, the process answers (never touches the database, so a database
 * outage does not get the process restarted). GET /readyz: readiness, the database answers
 * and the server is not shutting down; 503 with the reason otherwise.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  options: { database: DatabaseHandle; readinessTimeoutMs: number; isClosing: () => boolean },
): void {
  app.get("/healthz", async (_request, reply) => {
    reply.header("cache-control", "no-store");
    return { status: "ok" };
  });

  app.get("/readyz", async (_request, reply) => {
    reply.header("cache-control", "no-store");
    if (options.isClosing()) {
      return reply.code(503).send({ status: "unavailable", reason: "shutting down" });
    }
    const readiness = await checkReadiness(options.database, options.readinessTimeoutMs);
    if (!readiness.ready) {
      return reply.code(503).send({ status: "unavailable", reason: readiness.reason });
    }
    return { status: "ok", database: readiness.database, latencyMs: readiness.latencyMs };
  });
}
