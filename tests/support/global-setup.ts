import { migratePostgresUrl } from "@coursebase/db/migrate";
import postgres from "postgres";
import { adminUrl, databaseUrl, templateName } from "./database.ts";

/** Builds the migrated template database that every PostgreSQL test database is copied from. */
export default async function setup(): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${templateName}" with (force)`);
    await admin.unsafe(`create database "${templateName}"`);
  } catch (error) {
    throw new Error(`PostgreSQL at ${adminUrl} is not usable for tests: ${(error as Error).message}`);
  } finally {
    await admin.end();
  }
  await migratePostgresUrl(databaseUrl(templateName));
}
