import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { pathOf } from "./logging.ts";

/** Where `pnpm build` puts the admin SPA. */
export const defaultAdminDist = fileURLToPath(new URL("../../../admin/dist", import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Coursebase</title><link rel="icon" href="data:,"></head>
<body>
<h1>Coursebase</h1>
<p>The API is running at <code>/trpc</code>, but the admin app is not built.</p>
<p>Build it with <code>pnpm build</code> (or start with <code>pnpm start</code>, which builds it when needed), then reload this page.</p>
</body>
</html>
`;

/** A path the SPA's client-side router owns: not the API, not a file (no extension in its last segment). */
function isClientRoute(request: FastifyRequest): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const path = pathOf(request.url);
  if (path === "/trpc" || path.startsWith("/trpc/")) return false;
  const lastSegment = path.slice(path.lastIndexOf("/") + 1);
  return !lastSegment.includes(".");
}

function notFound(request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({
    error: "Not Found",
    message: `Route ${request.method}:${pathOf(request.url)} not found`,
    statusCode: 404,
  });
}

/**
 * Serves the built admin SPA at `/`: hashed assets (Vite puts them under /assets/) cached for
 * good, index.html revalidated on every load so a new build is picked up at once, and
 * index.html for any client route (/courses/123 opened directly or reloaded). The directory is
 * looked up per request, so building while the server runs needs no restart.
 */
export async function registerAdminApp(app: FastifyInstance, distDir: string): Promise<void> {
  const indexFile = join(distDir, "index.html");
  await app.register(fastifyStatic, {
    root: distDir,
    suppressWarning: true,
    cacheControl: false,
    setHeaders(reply, path) {
      const immutable = path.startsWith(join(distDir, "assets"));
      reply.header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
      reply.header("x-content-type-options", "nosniff");
    },
  });

  app.setNotFoundHandler((request, reply) => {
    if (!isClientRoute(request)) return notFound(request, reply);
    if (!existsSync(indexFile)) {
      return reply.code(503).type("text/html; charset=utf-8").header("cache-control", "no-store").send(NOT_BUILT_PAGE);
    }
    return reply.sendFile("index.html");
  });
}
