import { load1, type Summary, summarize, time } from "./stats.ts";

/** Latencies of one variant, or why it could not be measured. */
export interface Series extends Partial<Summary> {
  error?: string;
}

export interface Measured {
  series: Record<string, Series>;
  /** 1-minute load average before and after. */
  load: [number, number];
  seconds: number;
}

function describe(error: unknown): string {
  const e = error as { message?: string; code?: string; data?: { code?: string } };
  const code = e.data?.code ?? e.code;
  let message = e.message ?? String(error);
  // The in-process caller's BAD_REQUEST carries zod's issues as JSON: say the first one plainly.
  if (message.startsWith("[")) {
    try {
      const issues = JSON.parse(message) as { path: (string | number)[]; message: string }[];
      message = `${issues.map((i) => `${i.path.join(".")}: ${i.message}`)[0]} (${issues.length} issue(s))`;
    } catch {}
  }
  return `${code ? `${code}: ` : ""}${message.split("\n")[0]?.slice(0, 200)}`;
}

/**
 * Runs the variants round-robin over the inputs (input i goes to every variant in turn, and the
 * variant that goes first rotates), so that they share the machine's load as it changes, and
 * none always finds pages and plans warmed by another. `warmup` rounds first, not counted.
 * A variant that throws is dropped from the rest of the run and reported with its error.
 */
export async function interleaved<I>(
  inputs: readonly I[],
  options: { iterations: number; warmup: number },
  variants: Record<string, ((input: I) => Promise<unknown>) | undefined>,
): Promise<Measured> {
  const names = Object.keys(variants).filter((name) => variants[name] !== undefined);
  const samples = new Map<string, number[]>(names.map((name) => [name, []]));
  const errors = new Map<string, string>();
  const loadBefore = load1();
  const started = performance.now();
  const total = options.warmup + options.iterations;
  for (let i = 0; i < total; i++) {
    const input = inputs[i % inputs.length] as I;
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length] as string;
      if (errors.has(name)) continue;
      const run = variants[name] as (input: I) => Promise<unknown>;
      try {
        const ms = await time(() => run(input));
        if (i >= options.warmup) samples.get(name)?.push(ms);
      } catch (error) {
        errors.set(name, describe(error));
      }
    }
  }
  const series: Record<string, Series> = {};
  for (const name of names) {
    const error = errors.get(name);
    series[name] = error ? { error } : summarize(samples.get(name) ?? []);
  }
  return { series, load: [loadBefore, load1()], seconds: (performance.now() - started) / 1000 };
}

/**
 * For slow variants (the guide's code): a few warm-up calls, then calls until `max` of them, or
 * until the time budget is spent once `min` are done.
 */
export async function budgeted<I>(
  inputs: readonly I[],
  options: { min: number; max: number; budgetMs: number; warmup: number; offset?: number },
  run: (input: I) => Promise<unknown>,
): Promise<Series> {
  const at = (i: number) => inputs[(i + (options.offset ?? 0)) % inputs.length] as I;
  try {
    for (let i = 0; i < options.warmup; i++) await run(at(i));
    const samples: number[] = [];
    const started = performance.now();
    for (let i = 0; i < options.max; i++) {
      if (samples.length >= options.min && performance.now() - started > options.budgetMs) break;
      samples.push(await time(() => run(at(options.warmup + i))));
    }
    return summarize(samples);
  } catch (error) {
    return { error: describe(error) };
  }
}

/** Sequential throughput: `calls` calls, after `warmup`; items per second (items = batch size). */
export async function throughput<I>(
  next: () => I,
  options: { calls: number; warmup: number; itemsPerCall: number },
  run: (input: I) => Promise<unknown>,
): Promise<(Summary & { itemsPerSecond: number }) | { error: string }> {
  try {
    for (let i = 0; i < options.warmup; i++) await run(next());
    const samples: number[] = [];
    for (let i = 0; i < options.calls; i++) {
      const input = next(); // built outside the clock: the client's work, not the API's
      samples.push(await time(() => run(input)));
    }
    const seconds = samples.reduce((sum, ms) => sum + ms, 0) / 1000;
    return { ...summarize(samples), itemsPerSecond: (options.calls * options.itemsPerCall) / seconds };
  } catch (error) {
    return { error: describe(error) };
  }
}
