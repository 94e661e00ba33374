import type { FastifyInstance } from "fastify";

export interface ShutdownOptions {
  /** How long in-flight requests get to finish before their connections are cut. */
  graceMs?: number;
}

/**
 * Returns an idempotent shutdown: stop accepting connections and mark /readyz unready, let
 * in-flight requests finish (up to `graceMs`, then cut what is left), then close the services
 * (the database last, so requests still running can use it). Resolves when all is closed.
 */
export function createShutdown(
  app: FastifyInstance,
  services: { close(): Promise<void> },
  options: ShutdownOptions = {},
): (reason: string) => Promise<void> {
  const graceMs = options.graceMs ?? 10_000;
  let done: Promise<void> | undefined;
  return (reason) => {
    done ??= (async () => {
      app.log.info({ reason }, "shutting down: finishing in-flight requests");
      const forceClose = setTimeout(() => {
        app.log.warn({ graceMs }, "in-flight requests still running after the grace period: closing their connections");
        app.server.closeAllConnections();
      }, graceMs);
      forceClose.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(forceClose);
        await services.close();
      }
      app.log.info("stopped");
    })();
    return done;
  };
}

/**
 * SIGINT (Ctrl+C) and SIGTERM (process managers) shut down gracefully, then exit 0; a second
 * signal while shutting down exits at once with 130.
 */
export function exitOnSignals(shutdown: (reason: string) => Promise<void>, log: FastifyInstance["log"]): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, "second signal: exiting without waiting");
      process.exit(130);
    }
    signalled = true;
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
