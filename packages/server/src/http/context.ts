import type {} from "@fastify/cookie"; // its declarations: request.cookies, reply.setCookie
import type { FastifyReply, FastifyRequest } from "fastify";
import { resolvePrincipal, SESSION_COOKIE } from "../auth/principal.ts";
import { type Context, createContext, type Services } from "../trpc/init.ts";

/**
 * A tRPC context for one HTTP request: the credentials it presents (a bearer token from
 * scripts, else the SPA's session cookie) verified into a principal, and the request bridge
 * (address for rate limits, cookies out). Cookies are parsed and written by @fastify/cookie,
 * which the server registers before the tRPC plugin (http/server.ts).
 */
export async function createRequestContext(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Context> {
  const authorization = request.headers.authorization;
  const sessionCookie = request.cookies[SESSION_COOKIE];
  const principal = await resolvePrincipal(services.database.db, { authorization, sessionCookie });
  return createContext(services, principal ?? null, {
    ip: request.ip,
    // Only when the cookie is what authenticated the request (a bearer token wins).
    sessionSecret: /^Bearer\s+\S+$/i.test(authorization ?? "") ? undefined : sessionCookie,
    secure: request.protocol === "https",
    setCookie(name, value, options) {
      reply.setCookie(name, value, {
        httpOnly: options.httpOnly,
        sameSite: options.sameSite,
        secure: options.secure,
        path: options.path,
        maxAge: options.maxAge,
        // Deleting: an Expires in the past too, for clients that ignore Max-Age=0.
        ...(options.maxAge === 0 ? { expires: new Date(0) } : {}),
      });
    },
  });
}
