import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Database, migrationsFolder, queryRows } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

/**
 * The same migrations give the same schema on PostgreSQL 15 (production) and PGlite (the
 * embedded default, PostgreSQL 18 compiled to WASM). Runs in the postgres project only; it
 * opens a database on each engine itself.
 */

/** Everything in schema `public` that the application and other programs rely on. */
async function catalog(db: Database) {
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(db, query);
  return {
    relations: await rows<{
      name: string;
      kind: string;
      partitionKey: string | null;
      rowSecurity: boolean;
      forceRowSecurity: boolean;
    }>(sql`
      select c.relname as name, c.relkind::text as kind,
             case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as "partitionKey",
             c.relrowsecurity as "rowSecurity", c.relforcerowsecurity as "forceRowSecurity"
      from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
      order by 1`),
    columns: await rows<{
      table: string;
      column: string;
      type: string;
      notNull: boolean;
      default: string | null;
      generated: string;
      identity: string;
    }>(sql`
      select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
             a.attnotnull as "notNull", pg_get_expr(d.adbin, d.adrelid) as default,
             a.attgenerated::text as generated, a.attidentity::text as identity
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`),
    // PostgreSQL 18 (PGlite) also records every NOT NULL as a pg_constraint row of type 'n'
    // (named <table>_<column>_not_null); 15 keeps it in pg_attribute only. Nullability is
    // compared through columns.notNull above, so those rows are left out here.
    constraints: await rows<{ table: string; name: string; type: string; definition: string }>(sql`
      select conrelid::regclass::text as table, conname as name, contype::text as type,
             pg_get_constraintdef(oid) as definition
      from pg_constraint
      where connamespace = 'public'::regnamespace and contype <> 'n'
      order by 1, 2`),
    indexes: await rows<{ table: string; name: string; definition: string }>(sql`
      select tablename as table, indexname as name, indexdef as definition
      from pg_indexes where schemaname = 'public'
      order by 1, 2`),
    enums: await rows<{ name: string; labels: string[] }>(sql`
      select t.typname as name, json_agg(e.enumlabel order by e.enumsortorder) as labels
      from pg_type t join pg_enum e on e.enumtypid = t.oid
      where t.typnamespace = 'public'::regnamespace
      group by t.typname order by 1`),
    triggers: await rows<{ table: string; name: string; definition: string }>(sql`
      select tgrelid::regclass::text as table, tgname as name, pg_get_triggerdef(oid) as definition
      from pg_trigger
      where not tgisinternal and tgrelid in (select oid from pg_class where relnamespace = 'public'::regnamespace)
      order by 1, 2`),
    functions: await rows<{
      name: string;
      arguments: string;
      result: string;
      language: string;
      volatility: string;
      securityDefiner: boolean;
      settings: string[] | null;
      body: string;
    }>(sql`
      select p.proname as name, pg_get_function_identity_arguments(p.oid) as arguments,
             pg_get_function_result(p.oid) as result, l.lanname as language,
             p.provolatile::text as volatility, p.prosecdef as "securityDefiner",
             to_json(p.proconfig) as settings, p.prosrc as body
      from pg_proc p join pg_language l on l.oid = p.prolang
      where p.pronamespace = 'public'::regnamespace
      order by 1, 2`),
    policies: await rows<{
      table: string;
      name: string;
      command: string;
      permissive: string;
      roles: string[];
      using: string | null;
      withCheck: string | null;
    }>(sql`
      select tablename as table, policyname as name, cmd as command, permissive,
             to_json(roles) as roles, qual as using, with_check as "withCheck"
      from pg_policies where schemaname = 'public'
      order by 1, 2`),
    // Privileges granted to roles other than the owner (the owner's own are implicit, and its
    // name is the connecting user's, which need not match between engines).
    grants: await rows<{ table: string; grantee: string; privilege: string }>(sql`
      select c.relname as table, coalesce(r.rolname, 'PUBLIC') as grantee, a.privilege_type as privilege
      from pg_class c
      cross join lateral aclexplode(c.relacl) a
      left join pg_roles r on r.oid = a.grantee
      where c.relnamespace = 'public'::regnamespace and a.grantee <> c.relowner
      order by 1, 2, 3`),
    // View text is re-printed by each server version; compare it with whitespace collapsed.
    views: (
      await rows<{ name: string; definition: string }>(sql`
        select c.relname as name, pg_get_viewdef(c.oid) as definition
        from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
        order by 1`)
    ).map((v) => ({ ...v, definition: v.definition.replace(/\s+/g, " ").trim() })),
  };
}

type Catalog = Awaited<ReturnType<typeof catalog>>;

async function appliedMigrations(db: Database): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return row?.n ?? 0;
}

describe("PGlite and PostgreSQL end with the same schema", () => {
  let postgres: TestDatabase;
  let pglite: TestDatabase;
  let onPostgres: Catalog;
  let onPglite: Catalog;

  beforeAll(async () => {
    [postgres, pglite] = await Promise.all([createTestDatabase("postgres"), createTestDatabase("pglite")]);
    expect(postgres.driver).toBe("postgres");
    expect(pglite.driver).toBe("pglite");
    [onPostgres, onPglite] = await Promise.all([catalog(postgres.db), catalog(pglite.db)]);
  });
  afterAll(async () => {
    await Promise.all([postgres?.destroy(), pglite?.destroy()]);
  });

  it("both applied every migration of drizzle/", async () => {
    const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    expect(journal.entries.length).toBeGreaterThanOrEqual(2);
    expect(await appliedMigrations(postgres.db)).toBe(journal.entries.length);
    expect(await appliedMigrations(pglite.db)).toBe(journal.entries.length);
  });

  it("the catalog is not trivially empty", () => {
    // Guards the comparisons below against comparing two empty lists.
    const tables = onPostgres.relations.filter((r) => r.kind === "r").map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        "institutions",
        "departments",
        "users",
        "courses",
        "course_prerequisites",
        "modules",
        "lessons",
        "enrollments",
        "lesson_progress",
        "course_analytics",
        "assignments",
        "submissions",
        "grades",
      ]),
    );
    expect(onPostgres.enums).toHaveLength(7);
    expect(onPostgres.columns.length).toBeGreaterThan(100);
    expect(onPostgres.constraints.length).toBeGreaterThan(50);
    expect(onPostgres.indexes.length).toBeGreaterThan(50);
  });

  it("the same tables and relations", () => {
    expect(onPglite.relations).toEqual(onPostgres.relations);
  });
  it("the same columns: name, type, nullability, default, generation", () => {
    expect(onPglite.columns).toEqual(onPostgres.columns);
  });
  it("the same constraints: name, type, definition", () => {
    expect(onPglite.constraints).toEqual(onPostgres.constraints);
  });
  it("the same indexes: name, definition", () => {
    expect(onPglite.indexes).toEqual(onPostgres.indexes);
  });
  it("the same enum types and values", () => {
    expect(onPglite.enums).toEqual(onPostgres.enums);
  });
  it("the same triggers, functions and views", () => {
    expect(onPglite.triggers).toEqual(onPostgres.triggers);
    expect(onPglite.functions).toEqual(onPostgres.functions);
    expect(onPglite.views).toEqual(onPostgres.views);
  });
  it("the same row-level security policies and grants", () => {
    expect(onPglite.policies).toEqual(onPostgres.policies);
    expect(onPglite.grants).toEqual(onPostgres.grants);
  });

  it("migrating again changes nothing on either engine", async () => {
    await Promise.all([postgres.migrate(), pglite.migrate()]);
    const [again, againLite] = await Promise.all([catalog(postgres.db), catalog(pglite.db)]);
    expect(again).toEqual(onPostgres);
    expect(againLite).toEqual(onPglite);
  });
});
