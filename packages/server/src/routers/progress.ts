import { router } from "../trpc/init.ts";

export const progressRouter = router({});
