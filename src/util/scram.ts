/**
 * Client-side SCRAM-SHA-256 verifiers (RFC 5802, RFC 7677), in the format
 * PostgreSQL stores in `pg_authid.rolpassword`. Sending a verifier in
 * `ALTER ROLE ... PASSWORD '<verifier>'` sets the password without the
 * plaintext ever reaching the server, its logs or `pg_stat_statements`.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's default iteration count (`scram_iterations`). */
export const SCRAM_ITERATIONS = 4096;

/** Bytes of random salt, as PostgreSQL generates. */
const SALT_BYTES = 16;

/** The keys a verifier holds, as raw bytes. */
export interface ScramKeys {
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

// SASLprep is the identity on printable ASCII; generated passwords are always
// printable ASCII, so anything else is a caller bug rather than user input.
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Derives StoredKey and ServerKey from a password. Pure and deterministic.
 * Throws on a password that is not printable ASCII (a programming error).
 */
export function scramKeys(password: string, salt: Buffer, iterations: number): ScramKeys {
  if (!PRINTABLE_ASCII.test(password)) throw new Error("scram: password must be non-empty printable ASCII");
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", saltedPassword).update("Client Key").digest();
  return {
    storedKey: createHash("sha256").update(clientKey).digest(),
    serverKey: createHmac("sha256", saltedPassword).update("Server Key").digest(),
  };
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>`.
 * A fresh random salt unless one is given (tests). The result is not the
 * password, but treat it as sensitive anyway: it never goes into events.
 */
export function scramVerifier(
  password: string,
  options: { readonly salt?: Buffer; readonly iterations?: number } = {},
): string {
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
