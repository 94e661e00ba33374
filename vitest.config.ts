import { defineConfig } from "vitest/config";

// `pnpm test` runs every test twice: against the real PostgreSQL on this machine and against
// embedded PGlite (the default engine), as two Vitest projects over the same files.
const shared = {
  include: ["tests/**/*.test.ts"],
  exclude: ["tests/browser/**"],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "postgres",
          env: { TEST_ENGINE: "postgres" },
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
      {
        test: {
          ...shared,
          name: "pglite",
          env: { TEST_ENGINE: "pglite" },
          exclude: [...shared.exclude, "tests/**/*.postgres.test.ts"],
        },
      },
      {
        test: {
          name: "browser",
          include: ["tests/browser/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
