export { createDatabase, type Database, type DatabaseHandle, type Schema } from "./client.ts";
export { type DatabaseConfig, databaseConfigFromEnv } from "./config.ts";
export { queryOne, queryRows } from "./execute.ts";
export { migrationsFolder } from "./migrate.ts";
export * as schema from "./schema/index.ts";
export { APP_ROLE, withTenant } from "./tenant.ts";
