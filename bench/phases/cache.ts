import type { Services } from "@coursebase/server";
import { callersOver } from "../context.ts";
import type { Series } from "../measure.ts";
import type { ReadOperation } from "../operations.ts";
import type { Settings } from "../settings.ts";
import { summarize, time } from "../stats.ts";

/**
 * Cold vs warm cache (CACHE memory, the in-process LRU): each of `cacheKeys` entries is read
 * twice in a row; the first call misses (computes and stores), the second hits. A warm-up on
 * other entries first, so that the first cold call does not pay for JIT compilation.
 */
export async function benchCache(
  services: Services,
  op: ReadOperation,
  settings: Settings,
): Promise<{ cold: Series; warm: Series }> {
  const callerFor = callersOver(services);
  const call = (i: number) => {
    const scoped = op.inputs[i % op.inputs.length] as (typeof op.inputs)[number];
    return op.api(callerFor(scoped.institutionId), scoped.input);
  };
  const keys = Math.min(settings.cacheKeys, Math.floor(op.inputs.length / 2));
  try {
    for (let i = 0; i < settings.warmup; i++) {
      await call(op.inputs.length - 1 - (i % (op.inputs.length - keys)));
    }
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < keys; i++) {
      cold.push(await time(() => call(i)));
      warm.push(await time(() => call(i)));
    }
    return { cold: summarize(cold), warm: summarize(warm) };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0] ?? String(error);
    return { cold: { error: message }, warm: { error: message } };
  }
}
