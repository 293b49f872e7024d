/**
 * Opens a store from a `--store` URL: `sqlite:PATH` (the default,
 * `sqlite:./.airlock/airlock.db`), `postgres://…` or `postgresql://…`, and
 * `memory:` (tests, demos). The store comes back migrated. Passwords in URLs
 * never appear in error messages: they are redacted.
 */
import { MemoryStore } from "./memory/memory-store.ts";
import { PostgresStore } from "./postgres/postgres-store.ts";
import { openSqliteStore } from "./sqlite/sqlite-store.ts";
import type { Store } from "./store.ts";

/** The default store URL. */
export const DEFAULT_STORE_URL = "sqlite:./.airlock/airlock.db";

/** Where a store URL points. */
export type StoreLocation =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly connectionString: string }
  | { readonly kind: "memory" };

/** Result of opening a store; errors are values with redacted messages. */
export type OpenStoreResult =
  | { readonly ok: true; readonly value: Store }
  | { readonly ok: false; readonly code: "unsupported-url" | "open-failed"; readonly message: string };

/** Replaces the password of a URL (userinfo or `password=` parameter) with `***`. Never throws. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^/@:\s]*:)[^@\s]*@/g, "$1***@").replace(/([?&]password=)[^&\s]*/gi, "$1***");
}

/** Parses a store URL without opening anything. */
export function parseStoreUrl(
  url: string,
): { readonly ok: true; readonly value: StoreLocation } | Extract<OpenStoreResult, { ok: false }> {
  if (url === "memory:") return { ok: true, value: { kind: "memory" } };
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    return { ok: true, value: { kind: "sqlite", path: path === "" ? "./.airlock/airlock.db" : path } };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return { ok: true, value: { kind: "postgres", connectionString: url } };
  }
  return {
    ok: false,
    code: "unsupported-url",
    message: `unsupported store URL "${redactUrl(url)}": use sqlite:PATH, postgres://USER@HOST/DB (or postgresql://), or memory:`,
  };
}

/** Opens and migrates the store at `url` (default {@link DEFAULT_STORE_URL}). Safe to retry. */
export async function openStore(url: string = DEFAULT_STORE_URL): Promise<OpenStoreResult> {
  const parsed = parseStoreUrl(url);
  if (!parsed.ok) return parsed;
  const location = parsed.value;
  let store: Store | undefined;
  try {
    store = openLocation(location);
    await store.migrate();
    return { ok: true, value: store };
  } catch (error) {
    await store?.close().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, code: "open-failed", message: `cannot open store ${redactUrl(url)}: ${scrub(reason, url)}` };
  }
}

function openLocation(location: StoreLocation): Store {
  switch (location.kind) {
    case "memory":
      return new MemoryStore();
    case "sqlite":
      return openSqliteStore(location.path);
    case "postgres":
      return new PostgresStore({ connectionString: location.connectionString, connectionTimeoutMillis: 10_000 });
  }
}

/** Removes the URL's password (raw or percent-decoded) from a driver message that might echo it. */
function scrub(message: string, url: string): string {
  let password = "";
  try {
    password = new URL(url).password;
  } catch {
    return redactUrl(message);
  }
  if (password === "") return message;
  const forms = new Set([password, safeDecode(password)]);
  let scrubbed = message;
  for (const form of forms) scrubbed = scrubbed.replaceAll(form, "***");
  return redactUrl(scrubbed);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
