import type { Table } from "drizzle-orm";
import { getTableColumns, getTableName } from "drizzle-orm";
import postgres from "postgres";

/**
 * Helpers to write statements the way Prisma 5's query engine writes them for PostgreSQL
 * (schema-qualified quoted names, `IN (...)` follow-up queries for relations, `OFFSET $n` on
 * every findMany, bound parameters, prepared statements cached per connection).
 */

/** `"public"."table"` */
export function table(t: Table): string {
  return `"public"."${getTableName(t)}"`;
}

/** `"public"."table"."column"` */
export function column(t: Table, name: string): string {
  return `${table(t)}."${name}"`;
}

/** Every scalar field of the model, which Prisma selects for a findMany with `include`. */
export function scalars(t: Table): string {
  return Object.values(getTableColumns(t))
    .filter((c) => c.name !== "search_vector")
    .map((c) => column(t, c.name))
    .join(", ");
}

/** `$first, $first+1, ...` for an IN list of `count` values. */
export function placeholders(first: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}`).join(",");
}

/**
 * A pool as Prisma opens one: connection_limit = physical CPUs x 2 + 1 (5 here), prepared
 * statements. Nothing else of Prisma's engine (its Rust query engine, JSON protocol, result
 * serialisation) is reproduced, so these figures flatter the guide: real Prisma is slower.
 * JIT off, as on the API's connections: the comparison is of statements, not of a setting.
 */
export function prismaLikePool(url: string): postgres.Sql {
  return postgres(url, { max: 5, prepare: true, onnotice: () => {}, connection: { jit: "off" } });
}

export type Params = postgres.ParameterOrJSON<never>[];
