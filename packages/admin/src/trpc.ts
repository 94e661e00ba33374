import type { AppRouter } from "@coursebase/server";
import { createTRPCReact, httpBatchLink } from "@trpc/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";

/** React hooks over the server's router, typed end to end (the import is type-only). */
export const trpc = createTRPCReact<AppRouter>();

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** The SPA is served by the API's own origin, so calls go to the relative /trpc. */
export function createTrpcClient() {
  return trpc.createClient({
    // A screen's queries go in one request; the server bounds a batch's size, so this stays below it.
    links: [httpBatchLink({ url: "/trpc", transformer: superjson, maxItems: 20 })],
  });
}
