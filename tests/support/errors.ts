/** The database's own message behind an error (Drizzle wraps it as "Failed query: ..." with a cause). */
export function databaseMessage(error: unknown): string {
  let current: unknown = error;
  const messages: string[] = [];
  while (current instanceof Error) {
    messages.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return messages.join(" <- ");
}

/** Resolves to the database's message of the rejection, or fails when the promise resolves. */
export async function databaseError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return databaseMessage(error);
  }
  throw new Error("expected the database to refuse, but it accepted");
}
