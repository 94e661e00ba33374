import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { type AppRouter, appRouter } from "../routers/_app.ts";
import type { Services } from "../trpc/init.ts";
import { createRequestContext } from "./context.ts";
import { registerHealthRoutes } from "./health.ts";
import { httpLogger, RequestLogController } from "./logging.ts";
import { defaultAdminDist, registerAdminApp } from "./spa.ts";

export interface HttpServerOptions {
  /** The built admin SPA; defaults to packages/admin/dist. */
  adminDist?: string;
  /** Largest request body accepted; larger ones get 413. A batch of 1,000 progress updates is ~250 KB. */
  bodyLimitBytes?: number;
  /** How long /readyz waits for `select 1`. */
  readinessTimeoutMs?: number;
  /** pino level; default: the level of services.logger (LOG_LEVEL). */
  logLevel?: string;
  /** Where log lines go; default: where services.logger writes (stdout). Tests read them here. */
  logStream?: { write(line: string): void };
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The one HTTP process: tRPC at /trpc, /healthz and /readyz, and the admin SPA at /, on one
 * origin (so the SPA needs no CORS). Returned unstarted: the caller listens, and may add routes
 * first.
 */
export async function createHttpServer(services: Services, options: HttpServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: httpLogger(services.logger, {
      ...(options.logLevel ? { level: options.logLevel } : {}),
      ...(options.logStream ? { stream: options.logStream } : {}),
    }),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Batched GET calls put every procedure path in one URL segment (TOOLCHAIN pitfall 10).
    routerOptions: { maxParamLength: 5000 },
    // Fastify's own two lines per request would log the query string; one safe line instead.
    logController: new RequestLogController(),
  });

  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // Keep-alive connections would otherwise outlive the requests they carry and hold shutdown
  // open: once closing, each response is the last on its connection.
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });

  registerHealthRoutes(app, {
    database: services.database,
    readinessTimeoutMs: options.readinessTimeoutMs ?? 2000,
    isClosing: () => closing,
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: ({ req, res }) => createRequestContext(services, req, res),
      onError({ path, error, req }) {
        // Caller mistakes (BAD_REQUEST, NOT_FOUND, ...) are in the request line's status;
        // only server faults are worth an error line. Never the input: it may be personal data.
        if (error.code === "INTERNAL_SERVER_ERROR") {
          req.log.error({ procedure: path, err: error.cause ?? error }, "procedure failed");
        }
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  await registerAdminApp(app, options.adminDist ?? defaultAdminDist);
  return app;
}
