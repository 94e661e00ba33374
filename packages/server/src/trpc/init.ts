/**
 * tRPC setup in three sections: 1. context, 2. initialization, 3. procedures.
 * Routers import procedures from here and nothing from each other.
 */
import type { Database, DatabaseHandle } from "@coursebase/db";
import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { formatError } from "./middlewares/errors.ts";
import { timing } from "./middlewares/timing.ts";

// 1. CONTEXT ---------------------------------------------------------------------------------

/** Long-lived services, built once per process and shared by every request. */
export interface Services {
  database: DatabaseHandle;
}

/** Who is calling. Filled from the verified session or API token. */
export interface Caller {
  kind: "anonymous";
}

export interface Context {
  services: Services;
  /** Primary database: writes, and reads that must see them. */
  db: Database;
  /** Replica when configured (analytics, search), else the primary. */
  readDb: Database;
  caller: Caller;
}

export function createContext(services: Services): Context {
  return {
    services,
    db: services.database.db,
    readDb: services.database.readDb,
    caller: { kind: "anonymous" },
  };
}

// 2. INITIALIZATION --------------------------------------------------------------------------

const t = initTRPC.context<Context>().create({
  // superjson carries Dates (and undefined, Maps, BigInts) across the wire intact.
  transformer: superjson,
  errorFormatter: formatError,
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

// 3. PROCEDURES ------------------------------------------------------------------------------

export const publicProcedure = t.procedure.use(timing);
