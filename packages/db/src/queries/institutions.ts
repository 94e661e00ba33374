import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { type InstitutionType, institutionType } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { type Actor, auditActor, notFound, Refusal, refuseViolations } from "./refusals.ts";

// The caller's own institution (tenant admins), and its creation (platform operators only:
// packages/server/src/cli/institution.ts, as the owner, outside any tenant).

/**
 * An IANA zone name as PostgreSQL and Intl both know it ("Europe/Paris", "UTC"). Offsets and
 * POSIX strings ("+02:00", "EST5EDT,M3.2.0") are refused: PostgreSQL reads "+02" with the
 * inverted POSIX sign, a classic source of days cut at the wrong hour.
 */
export const ianaTimeZone = z
  .string()
  .max(64, "must be at most 64 characters")
  .refine(
    (zone) => {
      if (!/^(UTC|[A-Z][A-Za-z_-]+(\/[A-Za-z0-9_+-]+){1,2})$/.test(zone)) return false;
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: "must be an IANA time zone such as Europe/Paris or UTC" },
  );

/** BCP 47 language tag ("en", "fr-CA"), as Intl canonicalises it. */
const locale = z
  .string()
  .max(35)
  .refine(
    (tag) => {
      try {
        return Intl.getCanonicalLocales(tag).length === 1;
      } catch {
        return false;
      }
    },
    { message: "must be a BCP 47 language tag such as en or fr-CA" },
  );

const institutionName = z
  .string()
  .trim()
  .min(2, "must be at least 2 characters")
  .max(200, "must be at most 200 characters");

/**
 * The settings an administrator may change, all optional (absent = unchanged). The jsonb
 * `settings` keys are merged, never replaced wholesale, so keys owned by other features (e.g. a
 * retention policy) survive.
 */
export const updateInstitutionSettingsInput = z
  .strictObject({
    timeZone: ianaTimeZone.optional(),
    type: z.enum(institutionType.enumValues).optional(),
    locale: locale.optional(),
    /** 0 = Sunday ... 6 = Saturday: how calendars in the admin app are drawn. */
    weekStartsOn: z.number().int().min(0, "must be 0 (Sunday) to 6").max(6, "must be 0 (Sunday) to 6").optional(),
  })
  .refine((input) => Object.values(input).some((v) => v !== undefined), { message: "give at least one setting" });
export type UpdateInstitutionSettingsInput = z.output<typeof updateInstitutionSettingsInput>;

export const renameInstitutionInput = z.strictObject({ name: institutionName });

export interface InstitutionRecord {
  id: string;
  name: string;
  domain: string;
  type: InstitutionType;
  timeZone: string;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  counts: { departments: number; users: number; activeUsers: number; courses: number };
}

interface InstitutionRow extends Omit<InstitutionRecord, "createdAt" | "updatedAt"> {
  createdAt: string | Date;
  updatedAt: string | Date;
}

const toRecord = (row: InstitutionRow): InstitutionRecord => ({
  ...row,
  createdAt: new Date(row.createdAt),
  updatedAt: new Date(row.updatedAt),
});

/** The institution with headline counts (index-only counts on the tenant's keys). */
export async function getInstitution(db: Database, institutionId: string): Promise<InstitutionRecord> {
  const row = await queryOne<InstitutionRow>(
    db,
    sql`select i.id, i.name, i.domain, i.type, i.time_zone as "timeZone", i.settings,
               i.created_at as "createdAt", i.updated_at as "updatedAt",
               json_build_object(
                 'departments', (select count(*)::int from departments d where d.institution_id = i.id),
                 'users', (select count(*)::int from users u where u.institution_id = i.id),
                 'activeUsers', (select count(*)::int from users u where u.institution_id = i.id and u.is_active),
                 'courses', (select count(*)::int from courses c where c.institution_id = i.id)
               ) as counts
        from institutions i where i.id = ${institutionId}`,
  );
  if (!row) throw notFound("institutionId", "institution");
  return toRecord(row);
}

export async function renameInstitution(
  db: Database,
  actor: Actor,
  input: z.output<typeof renameInstitutionInput>,
): Promise<InstitutionRecord> {
  const before = await queryOne<{ name: string }>(
    db,
    sql`select name from institutions where id = ${actor.institutionId} for no key update`,
  );
  if (!before) throw notFound("institutionId", "institution");
  await db.execute(
    sql`update institutions set name = ${input.name}, updated_at = now() where id = ${actor.institutionId}`,
  );
  await recordAudit(db, {
    ...auditActor(actor),
    action: "institution.rename",
    targetType: "institution",
    targetId: actor.institutionId,
    details: { from: before.name, to: input.name },
  });
  return getInstitution(db, actor.institutionId);
}

export async function updateInstitutionSettings(
  db: Database,
  actor: Actor,
  input: UpdateInstitutionSettingsInput,
): Promise<InstitutionRecord> {
  const { timeZone, type, ...jsonSettings } = input;
  const patch = Object.fromEntries(Object.entries(jsonSettings).filter(([, v]) => v !== undefined));
  const updated = await queryOne<{ id: string }>(
    db,
    sql`update institutions
        set time_zone = coalesce(${timeZone ?? null}, time_zone),
            type = coalesce(${type ?? null}::institution_type, type),
            settings = settings || ${JSON.stringify(patch)}::jsonb,
            updated_at = now()
        where id = ${actor.institutionId}
        returning id`,
  );
  if (!updated) throw notFound("institutionId", "institution");
  await recordAudit(db, {
    ...auditActor(actor),
    action: "institution.settings",
    targetType: "institution",
    targetId: actor.institutionId,
    details: { ...input },
  });
  return getInstitution(db, actor.institutionId);
}

// --- Operators ------------------------------------------------------------------------------

/** Lower-case DNS name: the institution's sign-in and token key (`pnpm cb:token --institution`). */
const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(100, "must be at most 100 characters")
  .regex(
    /^(?=.{3,100}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "must be a domain name such as northwind.edu",
  );

export const createInstitutionInput = z.strictObject({
  name: institutionName,
  domain: domainName,
  type: z.enum(institutionType.enumValues),
  timeZone: ianaTimeZone.default("UTC"),
});
export type CreateInstitutionInput = z.output<typeof createInstitutionInput>;

/**
 * Creates an institution. A platform operator's act, not a tenant's: run as the owner (the
 * application role has no tenant to insert it under), from the operator CLI. Audited under
 * the new institution with no actor (an operator at the shell).
 */
export async function createInstitution(db: Database, input: CreateInstitutionInput): Promise<InstitutionRecord> {
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Database;
    const created = await refuseViolations(
      () =>
        queryOne<{ id: string }>(
          tx,
          sql`insert into institutions (name, domain, type, time_zone)
              values (${input.name}, ${input.domain}, ${input.type}, ${input.timeZone}) returning id`,
        ),
      { institutions_domain_unique: () => new Refusal("CONFLICT", "domain: already in use") },
    );
    if (!created) throw new Error("insert returned no row");
    await recordAudit(tx, {
      institutionId: created.id,
      actorUserId: null,
      actorTokenId: null,
      action: "institution.create",
      targetType: "institution",
      targetId: created.id,
      details: { ...input, by: "operator" },
    });
    return getInstitution(tx, created.id);
  });
}
