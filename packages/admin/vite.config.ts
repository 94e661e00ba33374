import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `pnpm build` writes dist/, which the Coursebase server serves at / (one origin with /trpc).
// `pnpm --filter @coursebase/admin dev` serves the app with hot reload and sends API calls to
// a Coursebase server already running on COURSEBASE_URL (default http://127.0.0.1:3000).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: { "/trpc": process.env.COURSEBASE_URL ?? "http://127.0.0.1:3000" },
  },
});
