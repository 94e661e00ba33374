import { createCaller, createContext, type Services } from "@coursebase/server";
import type postgres from "postgres";
import type { BareRunner, createStatementCapture } from "./bare.ts";
import type { Caller } from "./operations.ts";
import { adminPrincipal } from "./samples.ts";
import type { Settings } from "./settings.ts";

/** What every phase of one scale's run shares. */
export interface BenchContext {
  settings: Settings;
  log: (line: string) => void;
  /** Tags this run's event ids and tokens. */
  runId: string;
  url: string;
  /** Superuser connection to the bench database (set-up, restore). */
  admin: postgres.Sql;
  /** API services with CACHE=off: the database path. */
  services: Services;
  callerFor(institutionId: string): Caller;
  bare: BareRunner;
  capture: ReturnType<typeof createStatementCapture>;
  /** The guide's pool (Prisma-sized). */
  guideSql: postgres.Sql;
}

/** One in-process caller per institution, as its administrator (an API token's principal). */
export function callersOver(services: Services): (institutionId: string) => Caller {
  const callers = new Map<string, Caller>();
  return (institutionId) => {
    let caller = callers.get(institutionId);
    if (!caller) {
      caller = createCaller(createContext(services, adminPrincipal(institutionId)));
      callers.set(institutionId, caller);
    }
    return caller;
  };
}
