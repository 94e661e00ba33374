import type { DatabaseHandle } from "@coursebase/db";
import type { Principal } from "@coursebase/db/queries/auth";
import type { UserRole } from "@coursebase/db/schema";
import { createCaller, createContext, type Services } from "@coursebase/server";
import { createSignInLimiter } from "@coursebase/server/auth/rate-limit";
import type { RequestBridge } from "@coursebase/server/trpc/init";

/** Process services around a test database, as the server builds them. */
export function createTestServices(database: DatabaseHandle): Services {
  return { database, signInLimiter: createSignInLimiter() };
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
