import { randomBytes } from "node:crypto";
import {
  createDatabase,
  type DatabaseHandle,
  databaseConfigFromEnv,
  queryOne,
  queryRows,
  withTenant,
} from "@coursebase/db";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminUrl, createTestDatabase, type TestDatabase } from "../support/database.ts";
import { databaseError } from "../support/errors.ts";
import { ids, loadFixture } from "../support/fixture.ts";

/**
 * withTenant on postgres.js sends `set_config` without waiting for it, pipelined with the work's
 * first statement (packages/db/src/tenant.ts). These tests hold it to the guarantee that made the
 * synchronous version safe: no statement of the work runs without the tenant, a failed
 * `set_config` fails the work and writes nothing, and concurrent requests on one pool never see
 * each other's tenant, during or after.
 */

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
});
afterAll(() => database.destroy());

interface Seen {
  role: string;
  tenant: string | null;
  institutions: string[];
}

const whoAmI = sql`select current_user as role, nullif(current_setting('app.institution_id', true), '') as tenant,
  coalesce((select array_agg(distinct institution_id::text order by institution_id::text) from courses), '{}') as institutions`;

describe("withTenant on postgres.js (settings pipelined with the first statement)", () => {
  it("runs the first statement as the application role, in the tenant", async () => {
    const seen = await withTenant(database.db, ids.southbank, (tx) => queryOne<Seen>(tx, whoAmI));
    expect(seen).toEqual({ role: "coursebase_app", tenant: ids.southbank, institutions: [ids.southbank] });
  });

  describe("when set_config fails", () => {
    // A login role that is not a member of coursebase_app: `set_config('role', ...)` is refused.
    const login = `tenant_probe_${randomBytes(4).toString("hex")}`;
    let owner: postgres.Sql;
    let probe: DatabaseHandle;

    beforeAll(async () => {
      owner = postgres(database.url as string, { max: 1, onnotice: () => {} });
      await owner.unsafe(`create role ${login} login`);
      // A sequence is not transactional: a nextval() that ran stays visible after a rollback.
      await owner.unsafe("create sequence tenant_probe_seq");
      await owner.unsafe("create table tenant_probe_writes (n bigint default nextval('tenant_probe_seq'))");
      await owner.unsafe(`grant select, insert on tenant_probe_writes to ${login}`);
      await owner.unsafe(`grant usage on sequence tenant_probe_seq to ${login}`);
      await owner.unsafe(`grant select on courses to ${login}`);
      const url = new URL(database.url as string);
      url.username = login;
      probe = await createDatabase({ url: url.toString(), readUrl: undefined });
    });
    afterAll(async () => {
      await probe?.close();
      await owner.unsafe("drop table if exists tenant_probe_writes");
      await owner.unsafe("drop sequence if exists tenant_probe_seq");
      await owner.unsafe(`drop owned by ${login}`);
      await owner.end();
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop role if exists ${login}`);
      await admin.end();
    });

    it("the pipelined write never runs, and the error is set_config's", async () => {
      // Untenanted, this role may insert: only the failed set_config can stop it.
      const message = await databaseError(
        withTenant(probe.db, ids.northwind, async (tx) => {
          await tx.execute(sql`insert into tenant_probe_writes default values`);
          await tx.execute(sql`insert into tenant_probe_writes default values`);
        }),
      );
      expect(message).toMatch(/permission denied to set role "coursebase_app"/);
      // Not merely rolled back: never executed (the sequence was never advanced).
      expect(await owner`select count(*)::int as n from tenant_probe_writes`).toEqual([{ n: 0 }]);
      expect(await owner`select is_called from tenant_probe_seq`).toEqual([{ is_called: false }]);
    });

    it("a read pipelined behind it returns nothing to the caller", async () => {
      let returned: unknown;
      const message = await databaseError(
        withTenant(probe.db, ids.northwind, async (tx) => {
          returned = await queryOne(tx, sql`select count(*)::int as n from courses`);
          return returned;
        }),
      );
      expect(message).toMatch(/permission denied to set role/);
      expect(returned).toBeUndefined();
    });

    it("work that sends no statement fails too", async () => {
      const message = await databaseError(
        withTenant(probe.db, ids.northwind, async () => "computed without the database"),
      );
      expect(message).toMatch(/permission denied to set role/);
    });

    it("the connection is clean afterwards", async () => {
      const rows = await queryRows(
        probe.db,
        sql`select current_user as role, nullif(current_setting('app.institution_id', true), '') as tenant`,
      );
      expect(rows).toEqual([{ role: login, tenant: null }]);
    });
  });

  describe("under concurrency on one pool", () => {
    let pool: DatabaseHandle;
    beforeAll(async () => {
      pool = await createDatabase({
        url: database.url,
        readUrl: undefined,
        pool: { ...databaseConfigFromEnv().pool, max: 3 },
      });
    });
    afterAll(() => pool?.close());

    it("keeps every transaction in its own tenant, failures included, and leaves nothing on the connections", async () => {
      const institutions = [ids.northwind, ids.southbank];
      const calls = Array.from({ length: 120 }, async (_, i) => {
        const tenant = institutions[i % 2] as string;
        const run = withTenant(pool.db, tenant, async (tx) => {
          const first = await queryOne<Seen>(tx, whoAmI);
          // A little jitter so that transactions overlap in every order.
          await tx.execute(sql`select pg_sleep(${(i % 5) / 1000})`);
          const second = await queryOne<Seen>(tx, whoAmI);
          if (i % 7 === 0) throw new Error("the work failed after reading");
          return [first, second];
        });
        if (i % 7 === 0) {
          await expect(run).rejects.toThrow("the work failed after reading");
          return;
        }
        const expected: Seen = { role: "coursebase_app", tenant, institutions: [tenant] };
        expect(await run).toEqual([expected, expected]);
      });
      await Promise.all(calls);

      // Outside a tenant transaction, each pooled connection is back to the login role, no tenant.
      const after = await Promise.all(
        Array.from({ length: 6 }, () =>
          queryOne(
            pool.db,
            sql`select current_user as role, nullif(current_setting('app.institution_id', true), '') as tenant, pg_sleep(0.01)`,
          ),
        ),
      );
      for (const row of after) expect(row).toMatchObject({ role: "postgres", tenant: null });
    });
  });
});
