// pnpm cb:token --institution <domain> --role <ROLE> [--user <email>] [--name <label>] [--expires-days <n>]
// Operator bootstrap: mints an API token directly in the database (DATABASE_URL, or the embedded
// one) and prints it once. Only its hash is stored.
import { parseArgs } from "node:util";
import { createDatabase, queryOne } from "@coursebase/db";
import { getInstitutionIdByDomain } from "@coursebase/db/queries/auth";
import { userRole } from "@coursebase/db/schema";
import { sql } from "drizzle-orm";
import { mintApiToken } from "../auth/tokens.ts";

const usage =
  "usage: pnpm cb:token --institution <domain> --role <ADMIN|INSTRUCTOR|TEACHING_ASSISTANT|STUDENT> [--user <email>] [--name <label>] [--expires-days <n>]";

function fail(message: string): never {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    institution: { type: "string" },
    role: { type: "string" },
    user: { type: "string" },
    name: { type: "string" },
    "expires-days": { type: "string" },
  },
  strict: true,
});

if (!values.institution) fail("--institution is required (the institution's domain, e.g. northwind.edu)");
const role = values.role?.toUpperCase();
if (!role || !(userRole.enumValues as readonly string[]).includes(role)) {
  fail(`--role must be one of ${userRole.enumValues.join(", ")}`);
}
const expiresDays = values["expires-days"] === undefined ? undefined : Number(values["expires-days"]);
if (expiresDays !== undefined && !(Number.isInteger(expiresDays) && expiresDays > 0)) {
  fail("--expires-days must be a positive whole number");
}

const handle = await createDatabase();
try {
  const institution = await getInstitutionIdByDomain(handle.db, values.institution);
  if (!institution) fail(`no institution with domain "${values.institution}"`);
  let userId: string | null = null;
  if (values.user) {
    const user = await queryOne<{ id: string; role: string }>(
      handle.db,
      sql`select id, role from users where email = ${values.user.toLowerCase()} and institution_id = ${institution.id} and is_active`,
    );
    if (!user) fail(`no active user "${values.user}" in ${values.institution}`);
    if (user.role !== role) fail(`${values.user} has role ${user.role}, not ${role}`);
    userId = user.id;
  } else if (role !== "ADMIN") {
    fail(`a ${role} token acts as a person: give --user <email>`);
  }
  const { token, record } = await mintApiToken(handle.db, {
    institutionId: institution.id,
    role: role as (typeof userRole.enumValues)[number],
    userId,
    name: values.name ?? `cli ${role.toLowerCase()} token`,
    expiresAt: expiresDays ? new Date(Date.now() + expiresDays * 86_400_000) : null,
  });
  console.error(`token ${record.id} (${record.role}, ${values.institution}) created; it is shown only once:`);
  console.log(token);
} finally {
  await handle.close();
}
