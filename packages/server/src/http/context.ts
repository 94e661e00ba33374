import type { FastifyReply, FastifyRequest } from "fastify";
import { resolvePrincipal, SESSION_COOKIE } from "../auth/principal.ts";
import { type Context, type CookieOptions, createContext, type Services } from "../trpc/init.ts";

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const separator = part.indexOf("=");
    if (separator === -1 || part.slice(0, separator).trim() !== name) continue;
    const raw = part.slice(separator + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path}`, `Max-Age=${options.maxAge}`];
  if (options.maxAge === 0) parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  if (options.httpOnly) parts.push("HttpOnly");
  parts.push(`SameSite=${options.sameSite === "strict" ? "Strict" : "Lax"}`);
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/**
 * A tRPC context for one HTTP request: the credentials it presents (a bearer token from
 * scripts, else the SPA's session cookie) verified into a principal, and the request bridge
 * (address for rate limits, cookies out).
 */
export async function createRequestContext(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Context> {
  const authorization = request.headers.authorization;
  const sessionCookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  const principal = await resolvePrincipal(services.database.db, { authorization, sessionCookie });
  return createContext(services, principal ?? null, {
    ip: request.ip,
    // Only when the cookie is what authenticated the request (a bearer token wins).
    sessionSecret: /^Bearer\s+\S+$/i.test(authorization ?? "") ? undefined : sessionCookie,
    secure: request.protocol === "https",
    setCookie(name, value, options) {
      // Fastify appends repeated set-cookie headers instead of replacing them.
      reply.header("set-cookie", serializeCookie(name, value, options));
    },
  });
}
