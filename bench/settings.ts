/** How much each phase measures: the full run, and `--quick` (a smoke test of about a minute). */
export interface Settings {
  /** Distinct inputs drawn per read operation (and calls measured per variant). */
  iterations: number;
  warmup: number;
  /** The guide's code is slow: calls until `max`, or until the budget is spent once `min` are done. */
  guide: { min: number; max: number; budgetMs: number; warmup: number };
  /** Sequential calls through the typed HTTP client, per operation. */
  httpCalls: number;
  httpWarmup: number;
  /** autocannon: seconds per concurrency level (after a 1 s warm-up). */
  loadSeconds: number;
  concurrency: number[];
  /** Entries measured cold then warm, per cached operation. */
  cacheKeys: number;
  /** progress.record with 50 updates: calls per variant. */
  progressCalls: number;
  progressWarmup: number;
  /** Enrollments the write benchmarks may touch (restored afterwards). */
  poolSize: number;
  /** Ingestion: sequential calls per batch size. */
  ingestion: Record<1 | 50 | 1000, number>;
}

export const FULL: Settings = {
  iterations: 2000,
  warmup: 200,
  guide: { min: 30, max: 1000, budgetMs: 20_000, warmup: 5 },
  httpCalls: 1000,
  httpWarmup: 100,
  loadSeconds: 10,
  concurrency: [1, 8, 32],
  cacheKeys: 1000,
  progressCalls: 500,
  progressWarmup: 30,
  poolSize: 1500,
  ingestion: { 1: 2000, 50: 200, 1000: 30 },
};

export const QUICK: Settings = {
  iterations: 200,
  warmup: 20,
  guide: { min: 10, max: 100, budgetMs: 1500, warmup: 2 },
  httpCalls: 100,
  httpWarmup: 10,
  loadSeconds: 2,
  concurrency: [1, 8, 32],
  cacheKeys: 100,
  progressCalls: 40,
  progressWarmup: 5,
  poolSize: 300,
  ingestion: { 1: 100, 50: 20, 1000: 3 },
};

export const QUICK_SCALE = 0.1;
export const FULL_SCALES = [1, 10];
