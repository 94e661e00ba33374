export interface ProcedureTiming {
  path: string;
  type: string;
  durationMs: number;
  ok: boolean;
}

type TimingListener = (timing: ProcedureTiming) => void;
const listeners = new Set<TimingListener>();

/** Subscribes to procedure timings (metrics, slow-request log); returns the unsubscribe. */
export function onProcedureTiming(listener: TimingListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Middleware: measures each procedure call and tells the subscribers. */
export async function timing<R extends { ok: boolean }>(opts: {
  path: string;
  type: string;
  next: () => Promise<R>;
}): Promise<R> {
  const started = performance.now();
  const result = await opts.next();
  const event = { path: opts.path, type: opts.type, durationMs: performance.now() - started, ok: result.ok };
  for (const listener of listeners) listener(event);
  return result;
}
