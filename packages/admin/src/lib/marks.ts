import { useEffect } from "react";

/**
 * performance.mark(name) the first time `ready` is true in this page load: the browser test reads
 * "overview-rendered" (figures on screen) and "overview-chart-drawn" as time to first render.
 */
export function markOnce(name: string): void {
  if (performance.getEntriesByName(name).length === 0) performance.mark(name);
}

export function useMarkWhen(ready: boolean, name: string): void {
  useEffect(() => {
    if (ready) markOnce(name);
  }, [ready, name]);
}
