import type { DatabaseHandle } from "@coursebase/db";
import type { Principal } from "@coursebase/db/queries/auth";
import type { UserRole } from "@coursebase/db/schema";
import { createCaller, createContext, type Services } from "@coursebase/server";
import { createSignInLimiter } from "@coursebase/server/auth/rate-limit";
import type { Cache } from "@coursebase/server/cache";
import { createOffCache } from "@coursebase/server/cache/off-cache";
import type { RequestBridge } from "@coursebase/server/trpc/init";
import pino from "pino";

/**
 * Process services around a test database, as the server builds them. The cache is off unless a
 * test passes one: procedure tests read what the database holds right now.
 */
export function createTestServices(
  database: DatabaseHandle,
  cache: Cache = createOffCache({ dashboardSeconds: 300, analyticsSeconds: 1800 }),
): Services {
  return { database, cache, logger: pino({ level: "silent" }), signInLimiter: createSignInLimiter() };
}

/** A signed-in person, as the session check would produce it. */
export function personPrincipal(user: { id: string; institutionId: string; role: UserRole }): Principal {
  return {
    kind: "session",
    sessionId: "00000000-0000-4000-8000-000000000000",
    userId: user.id,
    institutionId: user.institutionId,
    role: user.role,
  };
}

/** An institution-wide API token (integrations, scripts). */
export function tokenPrincipal(institutionId: string, role: UserRole = "ADMIN"): Principal {
  return { kind: "token", tokenId: "00000000-0000-4000-8000-00000000000f", userId: null, institutionId, role };
}

/** An in-process caller with the given identity (null: anonymous). */
export function callerAs(services: Services, principal: Principal | null, request: RequestBridge = {}) {
  return createCaller(createContext(services, principal, request));
}
