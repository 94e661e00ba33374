import { createHash } from "node:crypto";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Sign-in attempts are limited per account and per address, so that neither one account can be
 * brute-forced from many addresses nor many accounts sprayed from one. Keys hold a hash of the
 * email, never the email itself.
 */
export interface SignInLimiter {
  /** Resolves when an attempt may proceed; rejects with the seconds to wait otherwise. */
  attempt(email: string, ip: string | undefined): Promise<void>;
  /** Clears the account's failures after a successful sign-in. */
  succeeded(email: string): Promise<void>;
}

export class TooManyAttempts extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-in attempts; try again in ${retryAfterSeconds} s`);
  }
}

export interface SignInLimits {
  perAccount: { points: number; durationSeconds: number };
  perAddress: { points: number; durationSeconds: number };
}

export const defaultSignInLimits: SignInLimits = {
  perAccount: { points: 5, durationSeconds: 60 },
  perAddress: { points: 30, durationSeconds: 60 },
};

const accountKey = (email: string) => createHash("sha256").update(email.trim().toLowerCase()).digest("hex");

export function createSignInLimiter(limits: SignInLimits = defaultSignInLimits): SignInLimiter {
  const perAccount = new RateLimiterMemory({
    keyPrefix: "signin:account",
    points: limits.perAccount.points,
    duration: limits.perAccount.durationSeconds,
  });
  const perAddress = new RateLimiterMemory({
    keyPrefix: "signin:address",
    points: limits.perAddress.points,
    duration: limits.perAddress.durationSeconds,
  });
  return {
    async attempt(email, ip) {
      try {
        await Promise.all([
          perAccount.consume(accountKey(email)),
          ip ? perAddress.consume(ip) : Promise.resolve(undefined),
        ]);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          throw new TooManyAttempts(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        }
        throw rejection;
      }
    },
    async succeeded(email) {
      await perAccount.delete(accountKey(email));
    },
  };
}
