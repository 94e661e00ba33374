import { migratePostgresUrl } from "@coursebase/db/migrate";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { adminUrl, databaseUrl } from "./database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Builds the migrated template every PostgreSQL test database is copied from. Its name is unique
 * to this run, so that test runs started side by side never drop each other's template.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const templateName = `coursebase_template_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${templateName}"`);
  } catch (error) {
    await admin.end();
    throw new Error(`PostgreSQL at ${adminUrl} is not usable for tests: ${(error as Error).message}`);
  }
  await admin.end();
  await migratePostgresUrl(databaseUrl(templateName));
  project.provide("templateDatabase", templateName);

  return async () => {
    const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await cleanup.unsafe(`drop database if exists "${templateName}" with (force)`);
    } finally {
      await cleanup.end();
    }
  };
}
