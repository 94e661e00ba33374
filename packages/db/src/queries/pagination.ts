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
