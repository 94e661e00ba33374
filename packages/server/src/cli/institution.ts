// pnpm cb:institution --name <name> --domain <domain> --type <TYPE> [--time-zone <IANA>]
//                     [--admin-email <email> --admin-name <name>] [--token]
// Operator bootstrap: creates an institution directly in the database (DATABASE_URL, or the
// embedded one), as the owner: a tenant has no business creating tenants, so this is no API
// procedure. Optionally its first administrator (with a random password printed once), and an institution-wide ADMIN API token for
// scripts (printed once, stored hashed) -- the same as `pnpm cb:token` afterwards.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createDatabase, withTenant } from "@coursebase/db";
import { setPassword } from "@coursebase/db/queries/auth";
import { createInstitution, createInstitutionInput } from "@coursebase/db/queries/institutions";
import { Refusal } from "@coursebase/db/queries/refusals";
import { createUser, createUserInput } from "@coursebase/db/queries/users";
import { institutionType } from "@coursebase/db/schema";
import { hashPassword } from "../auth/passwords.ts";
import { mintApiToken } from "../auth/tokens.ts";

const usage = `usage: pnpm cb:institution --name <name> --domain <domain> --type <${institutionType.enumValues.join("|")}> [--time-zone <IANA zone>] [--admin-email <email> --admin-name <name>] [--token]`;

function fail(message: string): never {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

const options = {
  name: { type: "string" },
  domain: { type: "string" },
  type: { type: "string" },
  "time-zone": { type: "string" },
  "admin-email": { type: "string" },
  "admin-name": { type: "string" },
  token: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

function parseArguments() {
  try {
    return parseArgs({ options, strict: true }).values;
  } catch (error) {
    return fail((error as Error).message); // an unknown or incomplete option: say so, not a stack trace
  }
}

const values = parseArguments();
if (values.help) {
  console.log(usage);
  process.exit(0);
}

// The same validation as everywhere else: the query layer's zod schemas.
const parsed = createInstitutionInput.safeParse({
  name: values.name,
  domain: values.domain,
  type: values.type?.toUpperCase(),
  ...(values["time-zone"] ? { timeZone: values["time-zone"] } : {}),
});
if (!parsed.success) {
  fail(parsed.error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("; "));
}
if (Boolean(values["admin-email"]) !== Boolean(values["admin-name"]))
  fail("give --admin-email and --admin-name together");
const admin = values["admin-email"]
  ? createUserInput.safeParse({ email: values["admin-email"], name: values["admin-name"], role: "ADMIN" })
  : undefined;
if (admin && !admin.success)
  fail(admin.error.issues.map((issue) => `--admin-${issue.path.join(".")}: ${issue.message}`).join("; "));

const handle = await createDatabase();
try {
  const institution = await createInstitution(handle.db, parsed.data);
  console.error(
    `institution ${institution.id} (${institution.domain}, ${institution.type}, ${institution.timeZone}) created`,
  );
  const operator = { institutionId: institution.id, userId: null, tokenId: null };
  if (admin?.success) {
    // As the application role in the new tenant: the same path, checks and audit as users.create.
    const user = await withTenant(handle.db, institution.id, (tx) => createUser(tx, operator, admin.data));
    // A random first password (argon2id-hashed), shown once, as the embedded demo does.
    const password = randomBytes(18).toString("base64url");
    await setPassword(handle.db, user.id, await hashPassword(password));
    console.error(`administrator ${user.id} (${user.email}) created; first password, shown only once:`);
    console.log(password);
  }
  if (values.token) {
    const { token, record } = await mintApiToken(handle.db, {
      institutionId: institution.id,
      role: "ADMIN",
      name: "bootstrap admin token",
    });
    console.error(`token ${record.id} (ADMIN, ${institution.domain}) created; it is shown only once:`);
    console.log(token);
  }
  console.log(JSON.stringify({ id: institution.id, domain: institution.domain }));
} catch (error) {
  if (error instanceof Refusal) fail(error.message);
  throw error;
} finally {
  await handle.close();
}
