/**
 * Bearer tokens for the API: one admin token (every call), read-only tokens
 * (reads only) and per-consumer ack tokens (reads, and acks for their own
 * consumer only). Only SHA-256 digests are kept; a presented token is hashed
 * and compared with every known digest in constant time
 * (`crypto.timingSafeEqual`), so neither timing nor an early exit reveals
 * how much of a token matched. Token values are never logged or returned.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** What a token allows. */
export type Role = "admin" | "read" | "ack";

/** The holder of a presented token: the name recorded as actor of everything they do. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
  /** For `ack` tokens: the only consumer they may acknowledge for. */
  readonly consumer?: string;
}

/** One configured token, before hashing. */
export interface TokenEntry {
  readonly name: string;
  readonly role: Role;
  readonly token: string;
}

/** Tokens shorter than this are refused at start-up: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A configuration problem, as a value (never containing a token). */
export type TokenConfigResult =
  | { readonly ok: true; readonly value: TokenSet }
  | { readonly ok: false; readonly message: string };

/** Known tokens by digest. Immutable once built. */
export class TokenSet {
  readonly #entries: readonly { readonly digest: Buffer; readonly principal: Principal }[];

  private constructor(entries: readonly { readonly digest: Buffer; readonly principal: Principal }[]) {
    this.#entries = entries;
  }

  /**
   * Validates and hashes `entries`: names are words, tokens at least
   * {@link MIN_TOKEN_LENGTH} characters without whitespace, and no token is
   * configured twice (it would be ambiguous who acted).
   */
  static build(entries: readonly TokenEntry[]): TokenConfigResult {
    const seen = new Set<string>();
    const hashed: { digest: Buffer; principal: Principal }[] = [];
    for (const entry of entries) {
      if (!NAME.test(entry.name)) return { ok: false, message: `invalid ${entry.role} token name "${entry.name}"` };
      if (entry.token.length < MIN_TOKEN_LENGTH || /\s/.test(entry.token)) {
        return {
          ok: false,
          message: `the ${entry.role} token of "${entry.name}" must be at least ${MIN_TOKEN_LENGTH} characters without spaces`,
        };
      }
      const digest = sha256(entry.token);
      if (seen.has(digest.toString("hex"))) {
        return { ok: false, message: `the ${entry.role} token of "${entry.name}" is configured more than once` };
      }
      seen.add(digest.toString("hex"));
      const principal: Principal =
        entry.role === "ack"
          ? { name: entry.name, role: "ack", consumer: entry.name }
          : { name: entry.name, role: entry.role };
      hashed.push({ digest, principal });
    }
    return { ok: true, value: new TokenSet(hashed) };
  }

  /** Whether any token is configured (without one, every protected call is refused). */
  get size(): number {
    return this.#entries.length;
  }

  /** The holder of `token`, or undefined. Compares against every digest (no early exit). */
  authenticate(token: string): Principal | undefined {
    const digest = sha256(token);
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.principal;
    }
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Parses a token file: one token per line, `name:token` (or a bare token,
 * named `defaultName`, then `defaultName-2`, ...). Blank lines and `#`
 * comments are skipped. `requireNames` (ack files: `consumer:token`)
 * refuses bare tokens. Errors name the line, never its content.
 */
export function parseTokenFile(
  text: string,
  role: Role,
  defaultName: string,
  requireNames: boolean,
): { readonly ok: true; readonly value: TokenEntry[] } | { readonly ok: false; readonly message: string } {
  const entries: TokenEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon < 0 && requireNames) return { ok: false, message: `line ${i + 1}: expected name:token` };
    const bare = entries.length === 0 ? defaultName : `${defaultName}-${entries.length + 1}`;
    const name = colon < 0 ? bare : line.slice(0, colon).trim();
    const token = colon < 0 ? line : line.slice(colon + 1).trim();
    entries.push({ name, role, token });
  }
  return { ok: true, value: entries };
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
