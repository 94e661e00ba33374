import { createDatabase, type DatabaseConfig } from "@coursebase/db";
import { createSignInLimiter } from "./auth/rate-limit.ts";
import type { Services } from "./trpc/init.ts";

export interface ServicesHandle extends Services {
  close(): Promise<void>;
}

/** Builds the process-wide services from the environment (or the given overrides). */
export async function createServices(options: { database?: Partial<DatabaseConfig> } = {}): Promise<ServicesHandle> {
  const database = await createDatabase(options.database);
  return {
    database,
    signInLimiter: createSignInLimiter(),
    async close() {
      await database.close();
    },
  };
}
