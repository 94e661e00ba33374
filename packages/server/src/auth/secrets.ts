import { createHash, randomBytes } from "node:crypto";

/** A bearer secret: 256 random bits, URL-safe, with a recognisable prefix (`cbt_`, `cbs_`). */
export function newSecret(prefix: "cbt" | "cbs"): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/**
 * What the database stores for a secret. A plain SHA-256 suffices for 256-bit random values
 * (no dictionary to attack), and lets a request find its row by an indexed equality.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
