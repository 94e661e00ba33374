// pnpm db:migrate — apply migrations to DATABASE_URL, or to the embedded database.
import { createDatabase } from "../client.ts";

const handle = await createDatabase();
try {
  const started = performance.now();
  await handle.migrate();
  const target = handle.driver === "postgres" ? "PostgreSQL (DATABASE_URL)" : "embedded PGlite";
  console.log(`migrations applied to ${target} in ${Math.round(performance.now() - started)} ms`);
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
