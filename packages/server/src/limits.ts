/**
 * Limits the server enforces and its clients respect. Constants only: the typed client and the
 * admin app may import this file without pulling in server code.
 */

/** Calls per batched tRPC request: each call opens its own tenant transaction on the pool. */
export const MAX_BATCH_SIZE = 20;
