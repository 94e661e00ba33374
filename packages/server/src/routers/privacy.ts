import { auditActorOf } from "@coursebase/db/queries/audit";
import { ErasureRefused, eraseUser, eraseUserInput, exportUser, exportUserInput } from "@coursebase/db/queries/privacy";
import { TRPCError } from "@trpc/server";
import { type CacheTag, cacheKeys, cacheTags } from "../cache/index.ts";
import { adminProcedure, router } from "../trpc/init.ts";

const noSuchUser = () => new TRPCError({ code: "NOT_FOUND", message: "userId: no such user" });

/** A person's data: export (access, portability) and erasure. Both audited. */
export const privacyRouter = router({
  exportUser: adminProcedure.input(exportUserInput).mutation(async ({ ctx, input }) => {
    const document = await exportUser(ctx.db, input, auditActorOf(ctx.principal));
    if (!document) throw noSuchUser();
    return document;
  }),

  eraseUser: adminProcedure.input(eraseUserInput).mutation(async ({ ctx, input }) => {
    let result: Awaited<ReturnType<typeof eraseUser>>;
    try {
      result = await eraseUser(ctx.db, input, auditActorOf(ctx.principal));
    } catch (error) {
      if (error instanceof ErasureRefused) throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
      throw error;
    }
    if (!result) throw noSuchUser();
    // Their cached views, once the erasure is visible: a student's own entries (dashboard) and
    // those of their courses. A teacher's name appears in every dashboard and listing of the
    // institution, so for anyone but a student the whole institution's cache is dropped.
    const { institutionId } = ctx.principal;
    const tags: CacheTag[] =
      result.role === "STUDENT"
        ? [
            cacheTags.student(institutionId, result.userId),
            ...result.courseIds.map((courseId) => cacheTags.course(institutionId, courseId)),
          ]
        : [cacheTags.institution(institutionId)];
    // Their own dashboard is deleted from the store, not just made unreachable: it holds their
    // name. Entries of others that show a teacher's name become unreachable at once and leave
    // the store with their TTL (dashboards: CACHE_DASHBOARD_TTL_S).
    const ownDashboard = cacheKeys.studentDashboard(institutionId, result.userId);
    ctx.afterCommit(async () => {
      await ctx.services.cache.purge([ownDashboard]);
      await ctx.services.cache.invalidate(tags);
    });
    return result;
  }),
});
