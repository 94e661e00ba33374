import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import superjson from "superjson";

/** The API server in a child process (bench/http/server.ts), on a free port. */
export interface ServerProcess {
  url: string;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL("./server.ts", import.meta.url)), [], {
    env: { ...process.env, ...env },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`the API server exited (code ${code}) before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

/** A tRPC query as a plain GET (not batched): `/trpc/<path>?input=<superjson as JSON>`. */
export function queryPath(procedure: string, input: unknown): string {
  return `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
}

export interface LoadRequest {
  path: string;
  token: string;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/**
 * autocannon against the server: `connections` keep-alive connections, each sending its next
 * request when the previous answer arrives (no pipelining), cycling through `requests` (many
 * different inputs, each with its institution's token) for `seconds`. A one-second warm-up
 * at the same concurrency is run first and discarded.
 */
export async function load(
  baseUrl: string,
  requests: readonly LoadRequest[],
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  let next = 0;
  const run = (duration: number) =>
    autocannon({
      url: baseUrl,
      connections: options.connections,
      pipelining: 1,
      duration,
      requests: [
        {
          method: "GET",
          setupRequest: (request) => {
            const r = requests[next++ % requests.length] as LoadRequest;
            return { ...request, path: r.path, headers: { ...request.headers, authorization: `Bearer ${r.token}` } };
          },
        },
      ],
    });
  await run(1);
  const result = await run(options.seconds);
  return {
    connections: options.connections,
    seconds: options.seconds,
    requestsPerSecond: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
