import { defineConfig } from "drizzle-kit";

// Migrations live at the repository root (drizzle/), per the layout in DESIGN.md.
// Never `drizzle-kit push`: it would drop the objects of the custom SQL migrations.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/index.ts",
  out: "../../drizzle",
  strict: true,
  verbose: true,
});
