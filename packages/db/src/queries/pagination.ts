import { z } from "zod";

/**
 * The one pagination envelope every list procedure uses (DESIGN.md): input `page` and `limit`,
 * output `{ page, limit, total, hasMore }`. Offset paging, because callers jump to page N and
 * show a total; list queries compute `total` in the same statement as the page.
 */

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** Spread into a list procedure's input object: `z.object({ ...paginationFields, ... })`. */
export const paginationFields = {
  page: z.number().int().min(1, "must be 1 or more").default(1),
  limit: z
    .number()
    .int()
    .min(1, "must be 1 or more")
    .max(MAX_PAGE_LIMIT, `must be at most ${MAX_PAGE_LIMIT} rows per page`)
    .default(DEFAULT_PAGE_LIMIT),
};

export const paginationInput = z.strictObject(paginationFields);
/** After parsing: both fields present (defaults applied). */
export type PaginationInput = z.output<typeof paginationInput>;

export const paginationOutput = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  /** Rows matching the whole query, not just this page. */
  total: z.number().int(),
  /** Whether a later page has rows (false on a page past the end). */
  hasMore: z.boolean(),
});
export type Pagination = z.output<typeof paginationOutput>;

/** Rows to skip before the page (SQL OFFSET). */
export function pageOffset({ page, limit }: PaginationInput): number {
  return (page - 1) * limit;
}

/** The envelope for a page, given the total over all matches. */
export function paginate({ page, limit }: PaginationInput, total: number): Pagination {
  return { page, limit, total, hasMore: page * limit < total };
}

// Keyset (cursor) variant, for lists too long for OFFSET (users.list on 100k people): the page
// after a cursor is an index range read whatever its depth, and rows inserted meanwhile never
// shift a page. No total by default (counting 100k rows costs more than the page itself).

/** Spread into a keyset list's input: `cursor` is the `nextCursor` of the previous page. */
export const keysetFields = {
  limit: paginationFields.limit,
  cursor: z.string().max(512, "must be at most 512 characters").optional(),
};

export const keysetOutput = z.object({
  limit: z.number().int(),
  hasMore: z.boolean(),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type KeysetPagination = z.output<typeof keysetOutput>;

/** An opaque cursor for a row's sort key (base64url JSON). */
export function encodeCursor(key: ReadonlyArray<string | number | null>): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** The sort key inside a cursor, or null when it is not one this list made (`length` values, strings/numbers/null). */
export function decodeCursor(cursor: string, length: number): Array<string | number | null> | null {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(key) || key.length !== length) return null;
    if (!key.every((v) => v === null || typeof v === "string" || typeof v === "number")) return null;
    return key;
  } catch {
    return null;
  }
}

/** Cuts the `limit + 1` rows a keyset query fetched into the page and its envelope. */
export function keysetPage<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => ReadonlyArray<string | number | null>,
): { rows: T[]; pagination: KeysetPagination } {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    rows: page,
    pagination: { limit, hasMore, nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null },
  };
}
