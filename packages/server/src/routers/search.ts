import { router } from "../trpc/init.ts";

export const searchRouter = router({});
