export { type HttpConfig, httpConfigFromEnv } from "./config.ts";
export { checkReadiness, type Readiness } from "./health.ts";
export { createHttpServer, DEFAULT_BODY_LIMIT_BYTES, type HttpServerOptions } from "./server.ts";
export { createShutdown, exitOnSignals, type ShutdownOptions } from "./shutdown.ts";
export { defaultAdminDist } from "./spa.ts";
