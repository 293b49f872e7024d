/**
 * Reads the server's tokens from where the operator keeps them: the admin
 * token from `AIRLOCK_TOKEN` or `--token-file` (one line, `token` or
 * `name:token`), read-only tokens from `--read-token-file` and per-consumer
 * ack tokens from `--ack-token-file` (`consumer:token` lines). Errors name
 * the file and line, never a token.
 */
import { readFile } from "node:fs/promises";
import { parseTokenFile, type Role, type TokenEntry, TokenSet } from "./auth.ts";

/** Where tokens come from. */
export interface TokenSources {
  /** The admin token's value (e.g. from `AIRLOCK_TOKEN`). */
  readonly adminToken?: string;
  readonly adminTokenFile?: string;
  readonly readTokenFile?: string;
  readonly ackTokenFile?: string;
}

/** Loads and validates every configured token. */
export async function loadTokenSet(
  sources: TokenSources,
): Promise<{ readonly ok: true; readonly value: TokenSet } | { readonly ok: false; readonly message: string }> {
  const entries: TokenEntry[] = [];
  if (sources.adminToken !== undefined && sources.adminToken !== "") {
    entries.push({ name: "admin", role: "admin", token: sources.adminToken.trim() });
  }
  const files: readonly [string | undefined, Role, string, boolean][] = [
    [sources.adminTokenFile, "admin", "admin", false],
    [sources.readTokenFile, "read", "reader", false],
    [sources.ackTokenFile, "ack", "consumer", true],
  ];
  for (const [file, role, defaultName, requireNames] of files) {
    if (file === undefined) continue;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      return {
        ok: false,
        message: `cannot read ${role} token file ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      };
    }
    const parsed = parseTokenFile(text, role, defaultName, requireNames);
    if (!parsed.ok) return { ok: false, message: `${file}: ${parsed.message}` };
    if (role === "admin" && parsed.value.length !== 1) {
      return { ok: false, message: `${file}: expected exactly one admin token` };
    }
    entries.push(...parsed.value);
  }
  return TokenSet.build(entries);
}
