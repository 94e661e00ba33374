/**
 * The browser tests' harness: the real `pnpm start` on a free port with a fresh embedded PGlite
 * data dir (so it builds the SPA if stale, migrates, loads the demo dataset and sets the demo
 * administrators' password from DEMO_ADMIN_PASSWORD), and Debian's Chromium driven by
 * playwright-core (TOOLCHAIN pitfall 11: no --user-data-dir in launch(); a fresh profile).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const screenshotDir = join(repoRoot, "tests/browser/screenshots");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DemoAdmin {
  email: string;
  institution: string;
}

export interface StartedServer {
  url: string;
  /** The demo administrators `pnpm start` printed (only on the run that loaded the demo). */
  admins: DemoAdmin[];
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs `pnpm start` (its own process group, so stopping it stops tsx and node too) and waits
 * for its "ready" line. SIGTERM shuts the server down gracefully: PGlite closes its data dir.
 */
export async function startServer(options: {
  port: number;
  dataDir: string;
  password: string;
  timeoutMs?: number;
}): Promise<StartedServer> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(options.port),
    HOST: "127.0.0.1",
    PGLITE_DIR: options.dataDir,
    DEMO_ADMIN_PASSWORD: options.password,
    LOG_LEVEL: "warn",
  };
  // The embedded demo, whatever the shell running the tests points at.
  for (const name of ["DATABASE_URL", "READ_DATABASE_URL", "REDIS_URL", "TEST_ENGINE"]) delete env[name];

  const child: ChildProcess = spawn("pnpm", ["start"], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  // Seconds on an idle machine; minutes when the 2 cores are shared with other test runs.
  const timeoutMs = options.timeoutMs ?? 240_000;
  const ready = await Promise.race([
    (async () => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (output.includes("Coursebase is ready")) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    })(),
    exited.then(() => false),
  ]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.pid) process.kill(-child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  if (!ready) {
    await stop();
    throw new Error(`pnpm start did not become ready:\n${output}`);
  }
  const url = `http://127.0.0.1:${options.port}`;
  // Ready to serve is not ready to answer fast: wait until /readyz reaches the database (start-up
  // work such as cache warming shares PGlite's single connection).
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const answer = await fetch(`${url}/readyz`).catch(() => undefined);
    if (answer?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const admins = [...output.matchAll(/^\s+(\S+@\S+) \((.+)\)\s+password: /gm)].map((match) => ({
    email: match[1] as string,
    institution: match[2] as string,
  }));
  return { url, admins, output: () => output, stop };
}

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot of what the page shows now, named after the step. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/**
 * Records every console error, page crash and failed API answer of 5xx: a page that "works"
 * while throwing in the console is not working.
 */
export function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    // Refusals the app expects and shows (401 before sign-in, 403 for a role) are not problems.
    if (message.type() === "error" && !/status of 40[13]/.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() >= 500) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  return problems;
}
