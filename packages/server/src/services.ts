import { createDatabase, type DatabaseConfig } from "@coursebase/db";
import pino from "pino";
import { createSignInLimiter } from "./auth/rate-limit.ts";
import { type CacheConfig, cacheConfigFromEnv, createCache } from "./cache/index.ts";
import type { Services } from "./trpc/init.ts";

export interface ServicesHandle extends Services {
  close(): Promise<void>;
}

export interface ServicesOptions {
  database?: Partial<DatabaseConfig>;
  cache?: Partial<CacheConfig>;
}

/** Builds the process-wide services from the environment (or the given overrides). */
export async function createServices(options: ServicesOptions = {}): Promise<ServicesHandle> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? "info", name: "coursebase" });
  const database = await createDatabase(options.database);
  const cache = await createCache({ ...cacheConfigFromEnv(), ...options.cache }, { logger });
  return {
    database,
    cache,
    logger,
    signInLimiter: createSignInLimiter(),
    async close() {
      await cache.close();
      await database.close();
    },
  };
}
