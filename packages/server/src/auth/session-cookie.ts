import type { CookieOptions } from "../trpc/init.ts";

export const SESSION_COOKIE = "cb_session";
export const SESSION_TTL_SECONDS = Number(process.env.SESSION_TTL_S ?? 12 * 3600);

/** httpOnly (no script reads it), SameSite=Strict (no cross-site request carries it). */
export function sessionCookieOptions(secure: boolean, maxAge: number): CookieOptions {
  return { httpOnly: true, sameSite: "strict", secure, path: "/", maxAge };
}
