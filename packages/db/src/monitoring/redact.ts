/**
 * Bound values described without their content, for logs and the ops views: personal data
 * (names, e-mail addresses, free text) is bound as parameters, so a log line may say what kind
 * of value was bound and how big, never the value.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const NUMERIC = /^-?\d+(\.\d+)?$/;

/** How many parameters a description lists; a batch insert binds thousands. */
const MAX_LISTED = 20;

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "<null>";
  if (typeof value === "boolean") return "<boolean>";
  if (typeof value === "number") return Number.isInteger(value) ? "<integer>" : "<number>";
  if (typeof value === "bigint") return "<integer>";
  if (value instanceof Date) return "<timestamp>";
  if (typeof value === "string") {
    if (UUID.test(value)) return "<uuid>";
    if (DATE.test(value)) return "<date>";
    if (TIMESTAMP.test(value)) return "<timestamp>";
    if (NUMERIC.test(value)) return "<numeric>";
    return `<text ${value.length} chars>`;
  }
  if (value instanceof Uint8Array) return `<bytes ${value.byteLength}>`;
  if (Array.isArray(value)) return `<array ${value.length} items>`;
  if (typeof value === "object") return "<json>";
  return `<${typeof value}>`;
}

/** `["$1: <uuid>", "$2: <text 12 chars>", ...]`, at most 20 entries and a count of the rest. */
export function redactParams(params: readonly unknown[]): string[] {
  const listed = params.slice(0, MAX_LISTED).map((value, index) => `$${index + 1}: ${describeValue(value)}`);
  if (params.length > MAX_LISTED) listed.push(`... ${params.length - MAX_LISTED} more`);
  return listed;
}
