import type { Database } from "@coursebase/db";
import { type Principal, resolveApiToken, resolveSession } from "@coursebase/db/queries/auth";
import { hashSecret } from "./secrets.ts";

export { SESSION_COOKIE } from "./session-cookie.ts";

/** The credentials a request presents: a bearer token (scripts) or the session cookie (the SPA). */
export interface PresentedCredentials {
  authorization?: string | undefined;
  sessionCookie?: string | undefined;
}

/** Verifies what the request presents; an invalid credential is treated as none. */
export async function resolvePrincipal(
  db: Database,
  credentials: PresentedCredentials,
): Promise<Principal | undefined> {
  const bearer = credentials.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return resolveApiToken(db, hashSecret(bearer));
  if (credentials.sessionCookie) return resolveSession(db, hashSecret(credentials.sessionCookie));
  return undefined;
}
