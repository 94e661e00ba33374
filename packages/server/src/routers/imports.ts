import { type CsvSource, type ImportReport, importEnrollmentsCsv, importUsersCsv } from "@coursebase/db/queries/import";
import { type CacheTag, cacheTags } from "../cache/index.ts";
import { adminProcedure, router } from "../trpc/init.ts";
import { actorOf, refusing } from "../trpc/refusal.ts";

/**
 * The CSV file as the procedure's input: over HTTP a non-JSON body (application/octet-stream,
 * tRPC 11's octet inputs; the typed client sends a Blob, File or Uint8Array through httpLink),
 * which the server hands over as a ReadableStream and the import reads as it arrives. In-process
 * callers (tests, jobs) may pass the same types or a ReadableStream. Like tRPC's own
 * octetInputParser, but it also accepts a Blob or bytes from in-process callers.
 */
const csvFileInput = {
  _input: null as unknown as Blob | Uint8Array | ReadableStream<Uint8Array>,
  _output: null as unknown as CsvSource,
  parse(input: unknown): CsvSource {
    if (input instanceof ReadableStream) return input as ReadableStream<Uint8Array>;
    if (input instanceof Blob) return input.stream() as ReadableStream<Uint8Array>;
    if (input instanceof Uint8Array) {
      return new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(input);
          controller.close();
        },
      });
    }
    throw new Error("the input must be a CSV file (application/octet-stream)");
  },
};

/** Past this many changed entities, dropping the institution's whole cache is cheaper than tags. */
const MAX_INVALIDATION_TAGS = 1000;

function importProcedure(kind: "users" | "enrollments", dryRun: boolean) {
  const run = kind === "users" ? importUsersCsv : importEnrollmentsCsv;
  return adminProcedure.input(csvFileInput).mutation(async ({ ctx, input }): Promise<ImportReport> => {
    const { institutionId } = ctx.principal;
    const report = await refusing(() => run(ctx.db, input, { dryRun, actor: actorOf(ctx.principal) }));
    const { studentIds, courseIds } = report.touched;
    if (studentIds.length + courseIds.length > 0) {
      const tags: CacheTag[] =
        studentIds.length + courseIds.length > MAX_INVALIDATION_TAGS
          ? [cacheTags.institution(institutionId)]
          : [
              ...studentIds.map((id) => cacheTags.student(institutionId, id)),
              ...courseIds.map((id) => cacheTags.course(institutionId, id)),
            ];
      ctx.afterCommit(() => ctx.services.cache.invalidate(tags));
    }
    return report;
  });
}

/**
 * Bulk import (administrators: people and institution API tokens). `dryRun` reports every bad
 * row and writes nothing; `run` applies every valid row and reports the bad ones; both are safe
 * to repeat. CLI: `pnpm cb import users|enrollments <file.csv> [--dry-run]`.
 */
export const importsRouter = router({
  users: router({ dryRun: importProcedure("users", true), run: importProcedure("users", false) }),
  enrollments: router({ dryRun: importProcedure("enrollments", true), run: importProcedure("enrollments", false) }),
});
