import { RingBuffer } from "./ring-buffer.ts";
import type { Alert, AlertSink, MonitoringLogger } from "./types.ts";

/** Writes the alert as an error line (the log is always a sink). */
export function logAlertSink(logger: MonitoringLogger): AlertSink {
  return {
    name: "log",
    send(alert) {
      logger.error({ alert }, `alert: ${alert.message}`);
    },
  };
}

/** Keeps the recent alerts in memory for the admin app (`ops.alerts`). */
export class AlertList implements AlertSink {
  readonly name = "list";
  readonly #alerts: RingBuffer<Alert>;

  constructor(capacity: number) {
    this.#alerts = new RingBuffer(capacity);
  }

  send(alert: Alert): void {
    this.#alerts.push(alert);
  }

  get size(): number {
    return this.#alerts.size;
  }

  newest(offset?: number, limit?: number): Alert[] {
    return this.#alerts.newest(offset, limit);
  }
}

/** Deliveries in flight at most: in an alert storm the rest are dropped (and counted), not queued. */
const MAX_IN_FLIGHT = 8;

/**
 * POSTs each alert as JSON to `url`, abandoning it after `timeoutMs`. Fire and forget: the query
 * that raised the alert has already returned, and a webhook that is down or slow costs nothing
 * but a log line. The URL may carry a secret, so it is never logged.
 */
export function webhookAlertSink(url: string, timeoutMs: number, onDropped: () => void = () => {}): AlertSink {
  let inFlight = 0;
  return {
    name: "webhook",
    async send(alert) {
      if (inFlight >= MAX_IN_FLIGHT) {
        onDropped();
        throw new Error(`${MAX_IN_FLIGHT} deliveries already in flight: alert ${alert.id} dropped`);
      }
      inFlight++;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(timeoutMs),
        });
        // Release the connection; the answer's body is of no interest.
        await response.body?.cancel();
        if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
      } finally {
        inFlight--;
      }
    },
  };
}
