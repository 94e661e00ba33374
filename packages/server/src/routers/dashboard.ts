import { router } from "../trpc/init.ts";

export const dashboardRouter = router({});
