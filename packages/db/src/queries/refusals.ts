/**
 * Refusals of management writes: the query layer knows why a write is refused (a rule, a
 * conflict, a row that is not there), the router only turns that into the transport's error.
 * Codes are tRPC's names so the mapping is one-to-one; messages start with the field they are
 * about ("email: already in use"), like validation errors do.
 */
export type RefusalCode = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "PRECONDITION_FAILED";

export class Refusal extends Error {
  readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string) {
    super(message);
    this.name = "Refusal";
    this.code = code;
  }
}

export const notFound = (field: string, what: string) => new Refusal("NOT_FOUND", `${field}: no such ${what}`);

interface PgErrorFields {
  code: string;
  constraint: string | undefined;
}

/**
 * The server's error under Drizzle's wrapper (DrizzleQueryError -> cause), on either driver:
 * postgres.js names the constraint `constraint_name`, PGlite `constraint`.
 */
export function pgError(error: unknown): PgErrorFields | undefined {
  for (let e = error as Record<string, unknown> | undefined; e && typeof e === "object"; e = e.cause as never) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
      return { code: e.code, constraint: (e.constraint_name ?? e.constraint) as string | undefined };
    }
  }
  return undefined;
}

/**
 * Runs a write and turns the named constraint violations into refusals. `constraints` maps a
 * constraint name to the refusal to throw; anything else propagates unchanged.
 */
export async function refuseViolations<T>(
  work: () => Promise<T>,
  constraints: Record<string, () => Refusal>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const pg = pgError(error);
    const refusal = pg?.constraint ? constraints[pg.constraint] : undefined;
    if (refusal) throw refusal();
    throw error;
  }
}

/** Who performed an administrative write, for the audit trail. */
export interface Actor {
  institutionId: string;
  userId: string | null;
  tokenId: string | null;
}

/** The audit columns of an actor. */
export function auditActor(actor: Actor) {
  return { institutionId: actor.institutionId, actorUserId: actor.userId, actorTokenId: actor.tokenId };
}
