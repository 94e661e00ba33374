/**
 * tRPC setup in three sections: 1. context, 2. initialization, 3. procedures.
 * Routers import procedures from here and nothing from each other.
 */
import { type Database, type DatabaseHandle, withTenant } from "@coursebase/db";
import type { Principal } from "@coursebase/db/queries/auth";
import type { UserRole } from "@coursebase/db/schema";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Logger } from "pino";
import superjson from "superjson";
import type { SignInLimiter } from "../auth/rate-limit.ts";
import type { Cache } from "../cache/index.ts";
import { formatError } from "./middlewares/errors.ts";
import { timing } from "./middlewares/timing.ts";

// 1. CONTEXT ---------------------------------------------------------------------------------

/** Long-lived services, built once per process and shared by every request. */
export interface Services {
  database: DatabaseHandle;
  cache: Cache;
  logger: Logger;
  signInLimiter: SignInLimiter;
}

/** What the HTTP layer lends a request's context: cookies out, and the caller's address. */
export interface RequestBridge {
  ip?: string | undefined;
  /** The session cookie's value, when the request was authenticated by it (for sign-out). */
  sessionSecret?: string | undefined;
  /** Whether the request came over HTTPS (cookies are then marked Secure). */
  secure?: boolean;
  setCookie?(name: string, value: string, options: CookieOptions): void;
}

export interface CookieOptions {
  httpOnly: boolean;
  sameSite: "strict" | "lax";
  secure: boolean;
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

export interface Context {
  services: Services;
  /** Primary database: writes, and reads that must see them. */
  db: Database;
  /** Replica when configured (analytics, search), else the primary. */
  readDb: Database;
  /** The verified caller, or null when the request carried no valid credential. */
  principal: Principal | null;
  request: RequestBridge;
}

/**
 * Builds a context for an already verified principal: the HTTP layer verifies the request's
 * credentials first (auth/principal.ts); jobs, tests and the benchmark pass a principal directly.
 */
export function createContext(
  services: Services,
  principal: Principal | null = null,
  request: RequestBridge = {},
): Context {
  return {
    services,
    db: services.database.db,
    readDb: services.database.readDb,
    principal,
    request,
  };
}

// 2. INITIALIZATION --------------------------------------------------------------------------

/** Per-procedure options. `replica`: its reads may be served by the read replica (analytics, search). */
export interface Meta {
  replica?: boolean;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  // superjson carries Dates (and undefined, Maps, BigInts) across the wire intact.
  transformer: superjson,
  errorFormatter: formatError,
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. PROCEDURES ------------------------------------------------------------------------------

/** Open to anyone: health and sign-in only. */
export const publicProcedure = t.procedure.use(timing);

/**
 * Any signed-in person or valid API token. The procedure runs in one transaction bound to the
 * caller's institution (row-level security, packages/db/src/tenant.ts): on the replica when the
 * procedure is marked `replica` and one is configured, else on the primary. Inside, `ctx.db` and
 * `ctx.readDb` are that transaction.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, meta, next }) => {
  const principal = ctx.principal;
  if (!principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in or send an API token" });
  const database = meta?.replica ? ctx.readDb : ctx.db;
  const afterCommitTasks: Array<() => Promise<void>> = [];
  const afterCommit = (task: () => Promise<void>) => {
    afterCommitTasks.push(task);
  };
  const result = await withTenant(database, principal.institutionId, async (tx) => {
    const inner = await next({ ctx: { ...ctx, principal, db: tx, readDb: tx, afterCommit } });
    // tRPC hands errors back as a result: rethrow so the tenant transaction rolls back.
    if (!inner.ok) throw inner.error;
    return inner;
  });
  // Only now is the write visible to others: cache invalidation and the like run here, so that
  // no reader can cache the old state between an invalidation and the commit.
  for (const task of afterCommitTasks) await task();
  return result;
});

/** Signed in with one of the given roles. Finer scope (own courses, own data) is the router's. */
export function roleProcedure(...roles: UserRole[]) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!roles.includes(ctx.principal.role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs one of the roles: ${roles.join(", ")}` });
    }
    return next();
  });
}

/** Administrators of the caller's institution (people or institution-wide API tokens). */
export const adminProcedure = roleProcedure("ADMIN");

/**
 * An administrator, checked as roleProcedure("ADMIN") does, but WITHOUT the tenant transaction:
 * for maintenance that must run as the owner across institutions. Inside a tenant transaction it
 * could not (the application role may not refresh the view), and on PGlite's single connection a
 * second, owner transaction would wait for the tenant one forever. Only the caller's role is
 * used; the procedure must not read tenant data on its behalf.
 */
export const maintenanceProcedure = publicProcedure.use(({ ctx, next }) => {
  const principal = ctx.principal;
  if (!principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in or send an API token" });
  if (principal.role !== "ADMIN") {
    throw new TRPCError({ code: "FORBIDDEN", message: "This needs one of the roles: ADMIN" });
  }
  return next({ ctx: { ...ctx, principal } });
});
