/** Query monitoring and alerting settings, read from the environment; every field is overridable. */
export interface MonitoringConfig {
  /** SLOW_QUERY_MS (default 500): a statement at least this slow is logged as a warning and kept. */
  slowQueryMs: number;
  /** SLOW_QUERY_ALERT_MS (default 2000): at least this slow raises an alert. */
  slowQueryAlertMs: number;
  /** ALERT_WEBHOOK_URL (optional): alerts are POSTed there as JSON. */
  alertWebhookUrl?: string | undefined;
  /** ALERT_WEBHOOK_TIMEOUT_MS (default 2000): a webhook call is abandoned after this. */
  alertWebhookTimeoutMs: number;
  /**
   * ALERT_COOLDOWN_MS (default 60000): the same statement (by fingerprint) alerts at most once
   * per cooldown; repeats are counted into the next alert, so an incident is one page, not a flood.
   */
  alertCooldownMs: number;
  /** SLOW_QUERY_BUFFER (default 200): recent slow queries kept for `ops.slowQueries`. */
  slowQueryBufferSize: number;
  /** ALERT_BUFFER (default 100): recent alerts kept for `ops.alerts`. */
  alertBufferSize: number;
  /** METRICS_TOKEN (optional): when set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return value;
}

function webhookFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.ALERT_WEBHOOK_URL;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The URL may embed a secret (chat webhooks do): never echo it.
    throw new Error("ALERT_WEBHOOK_URL must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error("ALERT_WEBHOOK_URL must be an absolute http(s) URL");
  }
  return url.toString();
}

export function monitoringConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MonitoringConfig {
  const slowQueryMs = intFromEnv(env, "SLOW_QUERY_MS", 500, 1);
  const slowQueryAlertMs = intFromEnv(env, "SLOW_QUERY_ALERT_MS", 2000, 1);
  if (slowQueryAlertMs < slowQueryMs) {
    throw new Error(`SLOW_QUERY_ALERT_MS (${slowQueryAlertMs}) must be at least SLOW_QUERY_MS (${slowQueryMs})`);
  }
  return {
    slowQueryMs,
    slowQueryAlertMs,
    alertWebhookUrl: webhookFromEnv(env),
    alertWebhookTimeoutMs: intFromEnv(env, "ALERT_WEBHOOK_TIMEOUT_MS", 2000, 1),
    alertCooldownMs: intFromEnv(env, "ALERT_COOLDOWN_MS", 60_000, 0),
    slowQueryBufferSize: intFromEnv(env, "SLOW_QUERY_BUFFER", 200, 1),
    alertBufferSize: intFromEnv(env, "ALERT_BUFFER", 100, 1),
    metricsToken: env.METRICS_TOKEN || undefined,
  };
}
