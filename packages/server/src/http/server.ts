import fastifyCookie from "@fastify/cookie";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { MAX_BATCH_SIZE } from "../limits.ts";
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

  // CSV imports (imports.*) arrive as a raw stream: hand it to tRPC unread, so a file is parsed as it
  // comes in, never buffered whole. The import bounds its own size (bytes and rows), since
  // Fastify's body limit applies only to bodies Fastify reads itself.
  // Only imports.* take a stream; any other procedure would be handed one it cannot read.
  app.addContentTypeParser("application/octet-stream", (request, payload, done) => {
    if (request.url.startsWith("/trpc/imports.")) return done(null, payload);
    const refused = Object.assign(new Error("application/octet-stream is accepted by imports.* only"), {
      statusCode: 415,
    });
    done(refused, undefined);
  });

  // Cookies parsed into request.cookies and written by reply.setCookie (http/context.ts).
  await app.register(fastifyCookie);
  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      // Every call of a batch opens its own tenant transaction: one request must not hold the
      // whole pool. The admin app and the typed client batch a handful of calls at most.
      maxBatchSize: MAX_BATCH_SIZE,
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
