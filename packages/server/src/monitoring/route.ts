import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type CacheStatsSource, processMetrics } from "./metrics.ts";

export interface MetricsRouteOptions {
  /** The cache's counters (`() => cache.stats()`), reported as coursebase_cache_*. */
  cacheStats?: CacheStatsSource;
  /** When set, the route needs `Authorization: Bearer <token>` (default: METRICS_TOKEN). */
  token?: string | undefined;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant-time comparison of the presented bearer token with the configured one. */
function authorized(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/**
 * GET /metrics: the process's metrics in the Prometheus text exposition format (default Node
 * metrics, procedure and statement latency, pool usage, cache, jobs, alerts). Call before the
 * server listens. Registering twice on one server is harmless (the second call only adds its
 * cache source).
 */
export function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions = {}): void {
  const metrics = processMetrics();
  if (options.cacheStats) {
    const remove = metrics.addCacheSource(options.cacheStats);
    app.addHook("onClose", async () => {
      remove();
    });
  }
  if (app.hasRoute({ method: "GET", url: "/metrics" })) return;
  const token = options.token ?? (process.env.METRICS_TOKEN || undefined);
  app.get("/metrics", async (request, reply) => {
    reply.header("cache-control", "no-store");
    if (token && !authorized(request.headers.authorization, token)) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="metrics"')
        .send({ error: "Unauthorized", message: "GET /metrics needs the metrics bearer token", statusCode: 401 });
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
