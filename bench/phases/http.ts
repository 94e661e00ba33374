import { mintApiToken } from "@coursebase/server/auth/tokens";
import { type CoursebaseClient, createClient } from "@coursebase/server/client";
import type { BenchContext } from "../context.ts";
import { type LoadResult, load, queryPath, type ServerProcess, startServer } from "../http/load.ts";
import { interleaved, type Series } from "../measure.ts";
import type { ReadOperation } from "../operations.ts";

export interface HttpSession {
  server: ServerProcess;
  tokens: Map<string, string>;
  clientFor(institutionId: string): CoursebaseClient;
  close(): Promise<void>;
}

export const TOKEN_NAME_PREFIX = "bench ";

/**
 * The API server in a child process (CACHE=off, as the in-process figures), and an
 * administrator API token per institution, minted as `pnpm cb:token` mints them (deleted again
 * by close()).
 */
export async function openHttp(ctx: BenchContext, institutions: readonly string[]): Promise<HttpSession> {
  const server = await startServer({
    DATABASE_URL: ctx.url,
    READ_DATABASE_URL: "",
    CACHE: "off",
    REDIS_URL: "",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  });
  const tokens = new Map<string, string>();
  for (const institutionId of institutions) {
    const { token } = await mintApiToken(ctx.services.database.db, {
      institutionId,
      role: "ADMIN",
      name: `${TOKEN_NAME_PREFIX}${ctx.runId}`,
    });
    tokens.set(institutionId, token);
  }
  const clients = new Map<string, CoursebaseClient>();
  return {
    server,
    tokens,
    clientFor(institutionId) {
      let client = clients.get(institutionId);
      if (!client) {
        // One call at a time, as a script makes them: unbatched (see ClientOptions.batch).
        client = createClient({ url: server.url, token: tokens.get(institutionId), batch: false });
        clients.set(institutionId, client);
      }
      return client;
    },
    async close() {
      await server.stop();
      await ctx.admin`delete from api_tokens where name = ${`${TOKEN_NAME_PREFIX}${ctx.runId}`}`;
    },
  };
}

/** Sequential calls through the typed client, then autocannon at each concurrency level. */
export async function benchHttpRead(
  ctx: BenchContext,
  http: HttpSession,
  op: ReadOperation,
): Promise<{ http: Series; throughput: LoadResult[] }> {
  const { settings } = ctx;
  ctx.log(`${op.label}: HTTP, ${settings.httpCalls} sequential calls through the typed client`);
  const sequential = await interleaved(
    op.inputs,
    { iterations: settings.httpCalls, warmup: settings.httpWarmup },
    { http: (s) => op.client(http.clientFor(s.institutionId), s.input) },
  );
  const requests = op.inputs.map((s) => ({
    path: queryPath(op.procedure, s.input),
    token: http.tokens.get(s.institutionId) as string,
  }));
  const throughput: LoadResult[] = [];
  for (const connections of settings.concurrency) {
    ctx.log(`${op.label}: autocannon, ${connections} connection(s), ${settings.loadSeconds} s`);
    throughput.push(await load(http.server.url, requests, { connections, seconds: settings.loadSeconds }));
  }
  return { http: sequential.series.http ?? { error: "not run" }, throughput };
}
