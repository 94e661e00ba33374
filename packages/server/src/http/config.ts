/** Where the HTTP server listens and how much it logs, read from the environment. */
export interface HttpConfig {
  host: string;
  port: number;
  logLevel: string;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function httpConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HttpConfig {
  const rawPort = env.PORT || "3000";
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${rawPort}"`);
  }
  const logLevel = env.LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  return { host: env.HOST || "127.0.0.1", port, logLevel };
}
