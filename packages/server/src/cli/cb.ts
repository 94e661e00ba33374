// pnpm cb <procedure.path> ['<json input>' | -] — call a procedure over HTTP and print its JSON.
// COURSEBASE_URL (default http://127.0.0.1:3000) and COURSEBASE_TOKEN select server and identity.
import { createTRPCUntypedClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AnyProcedure } from "@trpc/server";
import superjson from "superjson";
import { trpcEndpoint } from "../client.ts";
import { appRouter } from "../routers/_app.ts";
import { importUsage, runImportCommand } from "./import.ts";

const usage = `usage: pnpm cb <procedure.path> ['<json input>' | -]   (input from stdin with -)\n       ${importUsage.replace("usage: ", "")}`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(argv: string[]): Promise<number> {
  // Imports send a file, not JSON: their own small command (cli/import.ts).
  if (argv[0] === "import") return runImportCommand(argv.slice(1));
  const [path, rawInput] = argv;
  if (!path || path === "--help" || path === "-h") {
    console.error(usage);
    return path ? 0 : 2;
  }
  // At runtime tRPC keeps a flat map of dotted paths to procedures (the type shows it nested).
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  const procedure = procedures[path];
  if (!procedure) {
    console.error(`error: unknown procedure "${path}" (known: ${Object.keys(procedures).sort().join(", ")})`);
    return 2;
  }
  let input: unknown;
  const text = rawInput === "-" ? await readStdin() : rawInput;
  if (text !== undefined && text.trim() !== "") {
    try {
      input = JSON.parse(text);
    } catch (error) {
      console.error(`error: input is not valid JSON: ${(error as Error).message}`);
      return 2;
    }
  }
  const token = process.env.COURSEBASE_TOKEN;
  const client = createTRPCUntypedClient({
    links: [
      httpLink({
        url: trpcEndpoint(process.env.COURSEBASE_URL ?? "http://127.0.0.1:3000"),
        transformer: superjson,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });
  const type = procedure._def.type;
  const result = type === "mutation" ? await client.mutation(path, input) : await client.query(path, input);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code ?? "ERROR";
    console.error(`error: ${code}: ${error.message.replace(/\s+/g, " ")}`);
  } else {
    console.error(`error: ${(error as Error).message.replace(/\s+/g, " ")}`);
  }
  process.exitCode = 1;
}
