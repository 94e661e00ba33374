import type { DatabaseRole } from "./events.ts";

/** Connection use of one database role, summed over the clients open in this process. */
export interface PoolUsage {
  database: DatabaseRole;
  driver: "postgres" | "pglite";
  /** Connections the pool may open (postgres.js `max`; 1 for PGlite). */
  size: number;
  /** Connections serving a statement, a transaction or a reservation. */
  inUse: number;
  /** Requests for a connection beyond the pool's size: waiting (or pipelined behind another). */
  waiting: number;
}

/**
 * Counts what holds a connection: a statement outside a transaction from when it is sent until
 * its result, a transaction from BEGIN to COMMIT, a reserved connection until released.
 * postgres.js exposes no pool counters, but it only queues (or pipelines) a request when all
 * `max` connections are taken, so demand above `size` is exactly what waits.
 */
export class PoolTracker {
  #demand = 0;

  constructor(
    readonly database: DatabaseRole,
    readonly driver: "postgres" | "pglite",
    readonly size: number,
  ) {}

  acquire(): void {
    this.#demand++;
  }

  release(): void {
    this.#demand = Math.max(0, this.#demand - 1);
  }

  get inUse(): number {
    return Math.min(this.size, this.#demand);
  }

  get waiting(): number {
    return Math.max(0, this.#demand - this.size);
  }
}

const trackers = new Set<PoolTracker>();

/** A tracker for a client just opened; `forget` it when the client closes. */
export function trackPool(database: DatabaseRole, driver: "postgres" | "pglite", size: number): PoolTracker {
  const tracker = new PoolTracker(database, driver, size);
  trackers.add(tracker);
  return tracker;
}

export function forgetPool(tracker: PoolTracker): void {
  trackers.delete(tracker);
}

/** Usage per database role (several clients of one role, as in tests, are summed). */
export function poolUsage(): PoolUsage[] {
  const byRole = new Map<DatabaseRole, PoolUsage>();
  for (const tracker of trackers) {
    const usage = byRole.get(tracker.database) ?? {
      database: tracker.database,
      driver: tracker.driver,
      size: 0,
      inUse: 0,
      waiting: 0,
    };
    usage.size += tracker.size;
    usage.inUse += tracker.inUse;
    usage.waiting += tracker.waiting;
    byRole.set(tracker.database, usage);
  }
  return [...byRole.values()];
}
