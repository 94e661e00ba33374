/**
 * The admin app in a real browser against the real server (`pnpm start`: embedded PGlite, demo
 * dataset, demo administrators' password from DEMO_ADMIN_PASSWORD): what an administrator does,
 * and what other roles may not. Every step saves a screenshot under tests/browser/screenshots/.
 *
 * The demo gives only administrators a password. For the refusals, the test stops the server,
 * gives an instructor and a student a password straight in the data dir (PGlite has one
 * process), and starts `pnpm start` again on the same dir (which must not load the demo again).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, queryRows } from "@coursebase/db";
import { setPassword } from "@coursebase/db/queries/auth";
import { hashPassword } from "@coursebase/server/auth/passwords";
import { sql } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DemoAdmin,
  freePort,
  launchChromium,
  type StartedServer,
  screenshot,
  startServer,
  watchForErrors,
} from "./support.ts";

const PASSWORD = "browser-test-passphrase";
const LAPTOP = { width: 1366, height: 900 };
const TABLET = { width: 820, height: 1180 };
const ENROLLMENTS_BLUE = [0x2b, 0x6c, 0xb0] as const;

/** Pixels of `rgb` (within a small tolerance for antialiasing) in the chart's canvas. */
async function pixelsOfColour(page: Page, chartTitle: string, rgb: readonly [number, number, number]) {
  const canvas = page.locator(`figure[data-chart="${chartTitle}"] canvas`);
  return canvas.evaluate((element, colour) => {
    const node = element as unknown as {
      width: number;
      height: number;
      getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    };
    const { data } = node.getContext("2d").getImageData(0, 0, node.width, node.height);
    let count = 0;
    for (let index = 0; index < data.length; index += 4) {
      const close = [0, 1, 2].every((channel) => Math.abs((data[index + channel] ?? 0) - (colour[channel] ?? 0)) < 8);
      if (close && (data[index + 3] ?? 0) > 200) count += 1;
    }
    return count;
  }, rgb);
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the admin app in Chromium", () => {
  let dataDir: string;
  let server: StartedServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let admin: DemoAdmin;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "coursebase-browser-"));
    const [started, launched] = await Promise.all([
      startServer({ port: await freePort(), dataDir: join(dataDir, "pglite"), password: PASSWORD }),
      launchChromium(),
    ]);
    server = started;
    browser = launched;
    const northwind = server.admins.find((candidate) => candidate.email.endsWith("@northwind.edu"));
    if (!northwind) throw new Error(`no demo administrator printed:\n${server.output()}`);
    admin = northwind;
    context = await browser.newContext({ viewport: LAPTOP, baseURL: server.url });
    // Generous for a loaded 2-core machine, short enough that a broken step fails fast.
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    problems = watchForErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses a wrong password in words, then signs the administrator in", async () => {
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await signIn(page, admin.email, "not the password");
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("Email or password is incorrect");
    await screenshot(page, "01-sign-in-refused");

    await signIn(page, admin.email, PASSWORD);
    const who = page.getByTestId("signed-in-user");
    await who.waitFor();
    expect(await who.textContent()).toContain(admin.institution);
    expect(await who.textContent()).toContain("Admin");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
  });

  it("renders the overview with its figures and charts, and times its first render on a fresh load", async () => {
    await page.goto("/");
    const analytics = page.getByTestId("institution-analytics");
    await analytics.waitFor();
    await page.locator('figure[data-chart="Active students per day"][data-drawn="true"]').waitFor();
    expect(await analytics.textContent()).toMatch(/Active students/);
    // Marks set by the app when the figures, then the first chart, are on screen (ms after navigation start).
    const timing = await page.evaluate(() => ({
      figures: performance.getEntriesByName("overview-rendered")[0]?.startTime ?? null,
      chart: performance.getEntriesByName("overview-chart-drawn")[0]?.startTime ?? null,
    }));
    expect(timing.figures).not.toBeNull();
    console.log(
      `overview first render: figures ${Math.round(timing.figures ?? 0)} ms, first chart ${Math.round(timing.chart ?? 0)} ms after navigation start`,
    );
    await page.getByRole("heading", { name: "Most enrolled courses" }).waitFor();
    await screenshot(page, "02-overview");
  });

  it("searches a course as you type and opens it", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Courses" }).click();
    const rows = page.locator(".courses-table tbody tr");
    await rows.first().waitFor();
    const firstTitle = (await rows.first().locator("td").first().textContent()) ?? "";
    const word = firstTitle.split(/\s+/).find((candidate) => candidate.length >= 5) ?? firstTitle;

    // Typed one key at a time, as a person does; the request waits for the typing to pause.
    await page.getByLabel("Search courses").pressSequentially(word.slice(0, -1).toLowerCase(), { delay: 30 });
    await page.waitForURL(/[?&]q=/);
    await page.locator(".courses-table[aria-busy]").or(page.locator(".courses-table")).first().waitFor();
    await expect.poll(() => rows.locator("td:first-child").allTextContents()).toContain(firstTitle);
    await screenshot(page, "03-courses-search");

    await page.getByRole("link", { name: firstTitle, exact: true }).click();
    await page.getByRole("heading", { name: firstTitle }).waitFor();
    await page.getByRole("heading", { name: "Modules and lessons" }).waitFor();
  });

  it("shows the course's analytics chart drawn with data over a chosen range", async () => {
    await page.getByRole("button", { name: "Year" }).click();
    await page.waitForURL(/start=/);
    const start = new URL(page.url()).searchParams.get("start");
    const view = page.locator(`[data-testid="course-analytics"][data-range^="${start}.."][aria-busy="false"]`);
    await view.waitFor();
    const chart = page.locator('figure[data-chart="Enrollments and completions per day"][data-drawn="true"]');
    await chart.waitFor();
    expect(Number(await chart.getAttribute("data-points-with-data"))).toBeGreaterThan(0);
    // The canvas really holds the enrollments' bars: pixels of their colour.
    expect(await pixelsOfColour(page, "Enrollments and completions per day", ENROLLMENTS_BLUE)).toBeGreaterThan(20);
    await screenshot(page, "04-course-analytics");
  });

  it("refreshes the performance summary and shows its new freshness", async () => {
    const freshness = page.getByTestId("summary-freshness").first();
    const before = await freshness.locator("time").getAttribute("datetime");
    await freshness.getByRole("button", { name: "Refresh now" }).click();
    await freshness.getByText(/Refreshed in \d/).waitFor();
    await expect.poll(() => freshness.locator("time").getAttribute("datetime"), { timeout: 10_000 }).not.toBe(before);
    const after = await freshness.locator("time").getAttribute("datetime");
    expect(Date.parse(after ?? "")).toBeGreaterThan(Date.parse(before ?? ""));
    expect(await freshness.getByTestId("summary-age").textContent()).toMatch(/now|second/);
    await screenshot(page, "05-summary-refreshed");
  });

  it("finds a student and opens their dashboard as they see it", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Students" }).click();
    const rows = page.locator(".students-table tbody tr");
    await rows.first().waitFor();
    const name = (await rows.first().locator("td").first().textContent()) ?? "";
    // Keyset pages: forward to the next page of students, and back to the same first one.
    const pager = page.getByRole("navigation", { name: "Pages" });
    await pager.getByRole("button", { name: "Next →" }).click();
    await pager.getByText("Page 2").waitFor();
    await expect.poll(() => rows.first().locator("td").first().textContent()).not.toBe(name);
    await pager.getByRole("button", { name: "← Previous" }).click();
    await pager.getByText("Page 1").waitFor();
    await expect.poll(() => rows.first().locator("td").first().textContent()).toBe(name);
    await page.getByLabel("Find a student").pressSequentially(name.slice(0, 4), { delay: 30 });
    await page.waitForURL(/[?&]q=/);
    await expect.poll(() => rows.locator("td:first-child").allTextContents()).toContain(name);
    await screenshot(page, "06-students");

    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { name }).waitFor();
    const dashboard = page.getByTestId("student-dashboard");
    await dashboard.waitFor();
    expect(await dashboard.textContent()).toMatch(/Active courses/);
    await dashboard.getByRole("heading", { name: "Recent activity" }).waitFor();
    // An export or an erasure asks first, naming what it does; cancelling does nothing.
    await page.getByRole("button", { name: "Erase their data…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("This cannot be undone.").waitFor();
    expect(await dialog.getByRole("button", { name: "Erase permanently" }).isDisabled()).toBe(true);
    await screenshot(page, "07-student-erase-confirmation");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await screenshot(page, "08-student-dashboard");
  });

  it("shows database health, the audit log and the API tokens", async () => {
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Database health" }).click();
    await page.getByRole("heading", { name: "Slow queries" }).waitFor();
    await page.getByRole("heading", { name: "Background jobs" }).waitFor();
    await page.getByText(/Cache hit rate/).waitFor();
    await page.getByText(/partitions, .* in all/).waitFor();
    await screenshot(page, "09-database-health");

    // Creating a token shows its secret once, and the audit log records who created it.
    await nav.getByRole("link", { name: "API tokens" }).click();
    await page.getByRole("heading", { name: "Create a token" }).waitFor();
    await page.getByLabel("Name").fill("browser test import");
    await page.getByRole("button", { name: "Create token" }).click();
    expect(await page.getByTestId("new-token-secret").textContent()).toMatch(/\S{20,}/);
    await page.getByRole("cell", { name: /browser test import/ }).waitFor();
    await screenshot(page, "10-api-tokens");

    await nav.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    await page.locator(".audit-table tbody tr").first().waitFor();
    expect(await page.locator(".audit-table").textContent()).toContain("api_token.create");
    await screenshot(page, "11-audit-log");
  });

  it("fits a tablet's width", async () => {
    await page.setViewportSize(TABLET);
    await page.goto("/");
    await page.getByTestId("institution-analytics").waitFor();
    const overflow = await page.evaluate(() => {
      const root = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "12-overview-tablet");
    await page.setViewportSize(LAPTOP);
  });

  it("has logged no error in the browser", () => {
    expect(problems).toEqual([]);
  });

  describe("other roles", () => {
    let instructor: { email: string };
    let student: { email: string };

    beforeAll(async () => {
      await server.stop();
      const database = await createDatabase({ url: undefined, readUrl: undefined, dataDir: join(dataDir, "pglite") });
      try {
        const [teacher] = await queryRows<{ id: string; email: string }>(
          database.db,
          sql`select u.id, u.email from users u join institutions i on i.id = u.institution_id
               where i.domain = 'northwind.edu' and u.role = 'INSTRUCTOR' and u.is_active order by u.email limit 1`,
        );
        const [learner] = await queryRows<{ id: string; email: string }>(
          database.db,
          sql`select u.id, u.email from users u join institutions i on i.id = u.institution_id
               where i.domain = 'northwind.edu' and u.role = 'STUDENT' and u.is_active order by u.email limit 1`,
        );
        if (!teacher || !learner) throw new Error("the demo has no active instructor or student at northwind.edu");
        const hash = await hashPassword(PASSWORD);
        await setPassword(database.db, teacher.id, hash);
        await setPassword(database.db, learner.id, hash);
        instructor = teacher;
        student = learner;
      } finally {
        await database.close();
      }
      server = await startServer({ port: await freePort(), dataDir: join(dataDir, "pglite"), password: PASSWORD });
      expect(server.output()).not.toContain("loading the demo dataset");
    });

    it("refuses an instructor the database health page, in the app and on the server", async () => {
      const instructorContext = await browser.newContext({ viewport: LAPTOP, baseURL: server.url });
      instructorContext.setDefaultTimeout(15_000);
      const instructorPage = await instructorContext.newPage();
      await instructorPage.goto("/", { timeout: 60_000 });
      await signIn(instructorPage, instructor.email, PASSWORD);
      // Instructors start at their own courses, and the navigation offers nothing else.
      await instructorPage.getByRole("heading", { name: "My courses" }).waitFor();
      const links = await instructorPage.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents();
      expect(links).toEqual(["Courses"]);

      await instructorPage.goto("/health");
      await instructorPage.getByRole("heading", { name: "You do not have access to this page" }).waitFor();
      await screenshot(instructorPage, "13-instructor-refused-health");
      // The page is not merely hidden: the server refuses the data too.
      const status = await instructorPage.evaluate(async () => {
        const response = await fetch("/trpc/ops.runtime");
        return response.status;
      });
      expect(status).toBe(403);
      await instructorContext.close();
    });

    it("tells a student the app is for staff", async () => {
      const studentContext = await browser.newContext({ viewport: LAPTOP, baseURL: server.url });
      studentContext.setDefaultTimeout(15_000);
      const studentPage = await studentContext.newPage();
      await studentPage.goto("/students", { timeout: 60_000 });
      await signIn(studentPage, student.email, PASSWORD);
      await studentPage.getByRole("heading", { name: "This app is for staff" }).waitFor();
      expect(await studentPage.getByRole("navigation", { name: "Main" }).count()).toBe(0);
      await screenshot(studentPage, "14-student-refused");
      await studentContext.close();
    });
  });
});
