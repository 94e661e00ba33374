import { router } from "../trpc/init.ts";

export const analyticsRouter = router({});
