/**
 * Monitoring: statements timed at the driver (packages/db/src/monitoring), slow ones logged and
 * kept, very slow ones alerted; Prometheus metrics at GET /metrics.
 *
 * In the HTTP server, one line (before listening):
 *
 *   registerMonitoring(app, { cacheStats: () => services.cache.stats() });
 *
 * Elsewhere (a job runner, a script): `const monitoring = startMonitoring(); ... monitoring.stop()`,
 * and `recordJobRun(job, outcome, durationMs)` after each job run.
 */
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { AlertList, logAlertSink, webhookAlertSink } from "./alerts.ts";
import { type MonitoringConfig, monitoringConfigFromEnv } from "./config.ts";
import { type CacheStatsSource, processMetrics } from "./metrics.ts";
import { registerMetricsRoute } from "./route.ts";
import { watchSlowQueries } from "./slow-queries.ts";
import type { Alert, AlertSink, MonitoringLogger, SlowQuery } from "./types.ts";

export { AlertList, logAlertSink, webhookAlertSink } from "./alerts.ts";
export { type MonitoringConfig, monitoringConfigFromEnv } from "./config.ts";
export { type CacheStatsSource, type JobOutcome, processMetrics, recordJobRun } from "./metrics.ts";
export { type MetricsRouteOptions, registerMetricsRoute } from "./route.ts";
export type { Alert, AlertSink, MonitoringLogger, SlowQuery } from "./types.ts";

export interface MonitoringOptions {
  /** Overrides of the environment's settings (SLOW_QUERY_MS, ...). */
  config?: Partial<MonitoringConfig>;
  /** Where warnings and alerts are logged; default a pino logger on `logStream` or stdout. */
  logger?: MonitoringLogger;
  /** Destination of the default logger (tests read it). */
  logStream?: { write(line: string): void };
  /** More alert sinks, after the log, the webhook (ALERT_WEBHOOK_URL) and the in-memory list. */
  sinks?: AlertSink[];
}

export interface Monitoring {
  readonly config: MonitoringConfig;
  /** Recent slow queries, newest first. */
  slowQueries(offset?: number, limit?: number): SlowQuery[];
  readonly slowQueryCount: number;
  /** Recent alerts, newest first. */
  alerts(offset?: number, limit?: number): Alert[];
  readonly alertCount: number;
  stop(): void;
}

const running: Monitoring[] = [];

/**
 * Starts watching every statement of this process: slow ones are logged and kept, very slow
 * ones alerted. Idle until stopped; several may run (tests), `activeMonitoring()` is the latest.
 */
export function startMonitoring(options: MonitoringOptions = {}): Monitoring {
  const config = { ...monitoringConfigFromEnv(), ...options.config };
  const logger =
    options.logger ??
    pino(
      { level: process.env.LOG_LEVEL || "info", base: { component: "monitoring" } },
      options.logStream ?? pino.destination(1),
    );
  const metrics = processMetrics();
  const list = new AlertList(config.alertBufferSize);
  const sinks: AlertSink[] = [logAlertSink(logger)];
  if (config.alertWebhookUrl) {
    const dropped = () => metrics.alertSinkFailures.inc({ sink: "webhook" });
    sinks.push(webhookAlertSink(config.alertWebhookUrl, config.alertWebhookTimeoutMs, dropped));
  }
  sinks.push(list, ...(options.sinks ?? []));
  const watcher = watchSlowQueries({ config, logger, sinks, metrics });

  const monitoring: Monitoring = {
    config,
    slowQueries: watcher.slowQueries,
    get slowQueryCount() {
      return watcher.slowQueryCount;
    },
    alerts: (offset, limit) => list.newest(offset, limit),
    get alertCount() {
      return list.size;
    },
    stop() {
      watcher.stop();
      const index = running.indexOf(monitoring);
      if (index !== -1) running.splice(index, 1);
    },
  };
  running.push(monitoring);
  return monitoring;
}

/** The monitoring most recently started and not stopped (what `ops.*` reads), if any. */
export function activeMonitoring(): Monitoring | undefined {
  return running.at(-1);
}

/**
 * For the HTTP server: starts monitoring with the server's logger, serves GET /metrics, and
 * stops monitoring when the server closes. Call before listening.
 */
export function registerMonitoring(
  app: FastifyInstance,
  options: Omit<MonitoringOptions, "logger" | "logStream"> & { cacheStats?: CacheStatsSource } = {},
): Monitoring {
  const { cacheStats, ...rest } = options;
  const monitoring = startMonitoring({ ...rest, logger: app.log });
  app.addHook("onClose", async () => {
    monitoring.stop();
  });
  registerMetricsRoute(app, { ...(cacheStats ? { cacheStats } : {}), token: monitoring.config.metricsToken });
  return monitoring;
}
