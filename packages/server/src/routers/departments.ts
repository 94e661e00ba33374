import {
  createDepartment,
  createDepartmentInput,
  listDepartments,
  listDepartmentsInput,
  removeDepartment,
  removeDepartmentInput,
  renameDepartment,
  renameDepartmentInput,
} from "@coursebase/db/queries/departments";
import { router } from "../trpc/init.ts";
import { actorOf, manageAdminProcedure } from "./_manage.ts";

export const departmentsRouter = router({
  list: manageAdminProcedure
    .input(listDepartmentsInput)
    .query(({ ctx, input }) => listDepartments(ctx.db, ctx.principal.institutionId, input)),
  create: manageAdminProcedure
    .input(createDepartmentInput)
    .mutation(({ ctx, input }) => createDepartment(ctx.db, actorOf(ctx.principal), input)),
  rename: manageAdminProcedure
    .input(renameDepartmentInput)
    .mutation(({ ctx, input }) => renameDepartment(ctx.db, actorOf(ctx.principal), input)),
  // Members keep working: their department_id becomes null.
  remove: manageAdminProcedure
    .input(removeDepartmentInput)
    .mutation(({ ctx, input }) => removeDepartment(ctx.db, actorOf(ctx.principal), input)),
});
