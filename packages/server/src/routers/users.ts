import {
  changeUserRole,
  changeUserRoleInput,
  createUser,
  createUserInput,
  deactivateUser,
  getUser,
  listUsers,
  listUsersInput,
  reactivateUser,
  updateUser,
  updateUserInput,
  userIdInput,
} from "@coursebase/db/queries/users";
import { router } from "../trpc/init.ts";
import { actorOf, manageAdminProcedure } from "./_manage.ts";

export const usersRouter = router({
  list: manageAdminProcedure
    .input(listUsersInput)
    .query(({ ctx, input }) => listUsers(ctx.db, ctx.principal.institutionId, input)),
  get: manageAdminProcedure.input(userIdInput).query(({ ctx, input }) => getUser(ctx.db, input.userId)),
  create: manageAdminProcedure
    .input(createUserInput)
    .mutation(({ ctx, input }) => createUser(ctx.db, actorOf(ctx.principal), input)),
  update: manageAdminProcedure
    .input(updateUserInput)
    .mutation(({ ctx, input }) => updateUser(ctx.db, actorOf(ctx.principal), input)),
  // Revokes the person's sessions in the same transaction.
  deactivate: manageAdminProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => deactivateUser(ctx.db, actorOf(ctx.principal), input)),
  reactivate: manageAdminProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => reactivateUser(ctx.db, actorOf(ctx.principal), input)),
  changeRole: manageAdminProcedure
    .input(changeUserRoleInput)
    .mutation(({ ctx, input }) => changeUserRole(ctx.db, actorOf(ctx.principal), input)),
});
