export type BreakerState = "closed" | "open" | "half-open";

/**
 * Stops calling a failing store for a while: after `failures` failed round trips in a row it
 * opens for `cooldownMs` (every call bypasses the store at no cost), then lets one probe
 * through; the probe's success closes it, its failure opens it again.
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private failuresInARow = 0;
  private openedAt = 0;
  private probing = false;

  constructor(
    private readonly options: { failures: number; cooldownMs: number },
    private readonly onChange: (state: BreakerState, error?: unknown) => void = () => {},
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a round trip may be attempted now. */
  allow(): boolean {
    if (this.current === "closed") return true;
    if (this.current === "open") {
      if (Date.now() - this.openedAt < this.options.cooldownMs) return false;
      this.transition("half-open");
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failuresInARow = 0;
    this.probing = false;
    if (this.current !== "closed") this.transition("closed");
  }

  failure(error: unknown): void {
    this.failuresInARow += 1;
    this.probing = false;
    if (this.current === "half-open" || (this.current === "closed" && this.failuresInARow >= this.options.failures)) {
      this.openedAt = Date.now();
      this.transition("open", error);
    }
  }

  private transition(state: BreakerState, error?: unknown): void {
    this.current = state;
    this.onChange(state, error);
  }
}
