import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZodError } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

/** BAD_REQUEST's field paths, or the code of any other outcome. */
async function refusal(call: Promise<unknown>): Promise<string[] | string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    if (error.code !== "BAD_REQUEST") return error.code;
    return (error.cause as ZodError).issues.map((issue) => `${issue.path.join(".")}: ${issue.code}`);
  }
}

// Unknown keys are refused, not silently dropped: a misspelt field must not pass as "absent".
describe("inputs are strict", () => {
  let database: TestDatabase;
  let api: ReturnType<typeof callerAs>;
  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    api = callerAs(createTestServices(database), as.northwindToken);
  });
  afterAll(() => database.destroy());

  it("every procedure refuses an unknown key and names it", async () => {
    const extra = { sneaky: true } as Record<string, unknown>;
    expect(await refusal(api.dashboard.student({ studentId: ids.sam, ...extra }))).toEqual([": unrecognized_keys"]);
    expect(await refusal(api.search.courses({ query: "calc", ...extra }))).toEqual([": unrecognized_keys"]);
    expect(
      await refusal(api.analytics.course({ courseId: ids.c1, start: "2026-11-01", end: "2026-11-02", ...extra })),
    ).toEqual([": unrecognized_keys"]);
    expect(await refusal(api.analytics.summary({ ...extra }))).toEqual([": unrecognized_keys"]);
    const update = { eventId: "strict", studentId: ids.sam, lessonId: ids.l3, courseId: ids.c1, timeSpent: 1 };
    expect(await refusal(api.progress.record({ updates: [{ ...update, timeSpnet: 5 } as typeof update] }))).toEqual([
      "updates.0: unrecognized_keys",
    ]);
  });
});
