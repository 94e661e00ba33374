import { randomUUID } from "node:crypto";
import { onQuery, type QueryEvent, summarizeStatement } from "@coursebase/db/monitoring/index";
import type { MonitoringConfig } from "./config.ts";
import type { ProcessMetrics } from "./metrics.ts";
import { RingBuffer } from "./ring-buffer.ts";
import type { Alert, AlertSink, MonitoringLogger, SlowQuery } from "./types.ts";

const MAX_STATEMENT_CHARS = 4000;
/** Fingerprints remembered for the alert cooldown; beyond it the expired ones are dropped. */
const MAX_COOLDOWN_ENTRIES = 1000;

const round = (ms: number) => Math.round(ms * 10) / 10;

function truncate(statement: string): string {
  return statement.length <= MAX_STATEMENT_CHARS
    ? statement
    : `${statement.slice(0, MAX_STATEMENT_CHARS)}... (${statement.length - MAX_STATEMENT_CHARS} more characters)`;
}

export interface SlowQueryMonitor {
  /** Newest first. */
  slowQueries(offset?: number, limit?: number): SlowQuery[];
  readonly slowQueryCount: number;
  stop(): void;
}

/**
 * Watches every statement: one slower than `slowQueryMs` is logged as a warning and kept in a
 * bounded buffer; one slower than `slowQueryAlertMs` also raises an alert to every sink (once
 * per statement fingerprint per cooldown). Works synchronously on the query's completion and
 * never throws into it: sinks that do I/O run detached.
 */
export function watchSlowQueries(deps: {
  config: MonitoringConfig;
  logger: MonitoringLogger;
  sinks: AlertSink[];
  metrics: ProcessMetrics;
}): SlowQueryMonitor {
  const { config, logger, sinks, metrics } = deps;
  const recent = new RingBuffer<SlowQuery>(config.slowQueryBufferSize);
  const cooldowns = new Map<string, { until: number; suppressed: number }>();
  let sequence = 0;

  function toSlowQuery(event: QueryEvent, severity: SlowQuery["severity"]): SlowQuery {
    const summary = summarizeStatement(event.statement);
    return {
      id: ++sequence,
      at: new Date(event.endedAt),
      durationMs: round(event.durationMs),
      waitMs: round(event.waitMs),
      severity,
      database: event.database,
      driver: event.driver,
      operation: summary.operation,
      table: summary.table,
      fingerprint: summary.fingerprint,
      statement: truncate(summary.masked),
      params: event.redactedParams(),
      ok: event.ok,
      ...(event.errorCode ? { errorCode: event.errorCode } : {}),
      inTransaction: event.inTransaction,
    };
  }

  /** Whether to alert now; counts the repeats held back in between. */
  function admit(fingerprint: string, now: number): { alert: boolean; suppressed: number } {
    const entry = cooldowns.get(fingerprint);
    if (entry && now < entry.until) {
      entry.suppressed++;
      return { alert: false, suppressed: entry.suppressed };
    }
    if (cooldowns.size >= MAX_COOLDOWN_ENTRIES) {
      for (const [key, value] of cooldowns) if (value.until <= now) cooldowns.delete(key);
    }
    cooldowns.set(fingerprint, { until: now + config.alertCooldownMs, suppressed: 0 });
    return { alert: true, suppressed: entry?.suppressed ?? 0 };
  }

  function deliver(alert: Alert): void {
    const failed = (sink: AlertSink, error: unknown) => {
      metrics.alertSinkFailures.inc({ sink: sink.name });
      const message = error instanceof Error ? error.message : String(error);
      const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
      logger.warn(
        { sink: sink.name, alertId: alert.id, error: message, ...(cause ? { cause } : {}) },
        "alert sink failed",
      );
    };
    for (const sink of sinks) {
      try {
        const pending = sink.send(alert);
        if (pending) pending.catch((error: unknown) => failed(sink, error));
      } catch (error) {
        failed(sink, error);
      }
    }
  }

  const unsubscribe = onQuery((event) => {
    if (event.durationMs < config.slowQueryMs) return;
    const severity = event.durationMs >= config.slowQueryAlertMs ? "alert" : "warning";
    const query = toSlowQuery(event, severity);
    recent.push(query);
    metrics.slowQueries.inc({ database: query.database, severity });
    const { id: _id, at: _at, ...fields } = query;
    logger.warn({ slowQuery: { ...fields, thresholdMs: config.slowQueryMs } }, "slow query");
    if (severity !== "alert") return;

    const { alert, suppressed } = admit(query.fingerprint, event.endedAt);
    if (!alert) {
      metrics.alertsSuppressed.inc({ kind: "slow_query" });
      return;
    }
    metrics.alerts.inc({ kind: "slow_query" });
    const where = query.table === "none" ? "" : ` on ${query.table}`;
    deliver({
      id: randomUUID(),
      kind: "slow_query",
      severity: "critical",
      at: query.at,
      message: `${query.operation}${where} took ${Math.round(query.durationMs)} ms (alert threshold ${config.slowQueryAlertMs} ms)`,
      suppressed,
      query,
    });
  });

  return {
    slowQueries: (offset, limit) => recent.newest(offset, limit),
    get slowQueryCount() {
      return recent.size;
    },
    stop: unsubscribe,
  };
}
