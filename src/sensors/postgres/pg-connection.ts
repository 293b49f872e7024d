/**
 * PostgreSQL connection URLs as plans write them: `postgres://user:${PGPASSWORD_X}@host:port/db`.
 * The password lives in the controller's environment, is substituted only
 * when connecting, and never appears in a message: messages name
 * `host:port/db` and pass through {@link redact}.
 */
import { redact } from "../../util/redact.ts";

/** A resolved URL plus everything that must be scrubbed from messages about it. */
export interface PgEndpoint {
  /** Connection string with environment references substituted (holds secrets: never log it). */
  readonly url: string;
  /** `host:port/db`, safe for messages and claims. */
  readonly label: string;
  /** The password and every substituted value, raw and URL-encoded. */
  readonly secrets: readonly string[];
}

/** Expected failures are values. */
export type PgResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly message: string };

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `host:port/db` of a URL template (environment references need not be set).
 * Pure. Port defaults to 5432 and database to the user name, as in libpq; a
 * `?host=` query parameter (a unix socket directory) wins over the authority.
 */
export function describeConnection(template: string): string {
  let parsed: URL;
  try {
    parsed = new URL(template.replace(REFERENCE, "x"));
  } catch {
    return "(invalid postgres url)";
  }
  const host = parsed.searchParams.get("host") ?? decodeURIComponent(parsed.hostname);
  const port = parsed.port === "" ? "5432" : parsed.port;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || decodeURIComponent(parsed.username);
  return `${host}:${port}/${database}`;
}

/** Whether a string parses as a `postgres:`/`postgresql:` URL (for config schemas). Pure. */
export function isPostgresUrl(template: string): boolean {
  try {
    const parsed = new URL(template.replace(REFERENCE, "x"));
    return (parsed.protocol === "postgres:" || parsed.protocol === "postgresql:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * Substitutes `${NAME}` references from `env` (URL-encoded, so a password may
 * hold `@` or `/`). An unset variable is an error naming it, never a value. Pure.
 */
export function resolveConnection(
  template: string,
  env: Readonly<Record<string, string | undefined>>,
): PgResult<PgEndpoint> {
  const label = describeConnection(template);
  const secrets: string[] = [];
  let missing: string | undefined;
  const url = template.replace(REFERENCE, (_match, name: string) => {
    const value = env[name];
    if (value === undefined) {
      missing ??= name;
      return "";
    }
    secrets.push(value, encodeURIComponent(value));
    return encodeURIComponent(value);
  });
  if (missing !== undefined) {
    return { ok: false, code: "config", message: `postgres ${label}: environment variable ${missing} is not set` };
  }
  try {
    const password = new URL(url).password;
    if (password !== "") secrets.push(password, decodeURIComponent(password));
  } catch {
    return { ok: false, code: "config", message: `postgres ${label}: not a valid URL` };
  }
  return { ok: true, value: { url, label, secrets } };
}

/** Same endpoint, other credentials (a login check as a rotated role). Pure. */
export function withCredentials(endpoint: PgEndpoint, user: string, password: string): PgEndpoint {
  const parsed = new URL(endpoint.url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return {
    url: parsed.toString(),
    label: endpoint.label,
    secrets: [...endpoint.secrets, password, encodeURIComponent(password)],
  };
}

/** Which failures a caller may retry, by SQLSTATE class or Node error code. */
export type PgFailureCode = "unreachable" | "auth" | "timeout" | "aborted" | "lock-timeout" | "query";

/** A classified, redacted PostgreSQL failure. */
export interface PgFailure {
  readonly code: PgFailureCode;
  readonly sqlState?: string;
  readonly message: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EPIPE",
  "ENOENT",
]);

/**
 * Classifies an error thrown by `pg` and builds a message naming the
 * endpoint's label, scrubbed of the endpoint's secrets. Pure.
 */
export function classifyPgError(error: unknown, endpoint: Pick<PgEndpoint, "label" | "secrets">): PgFailure {
  const raw = error instanceof Error ? error.message : String(error);
  const errno = (error as { code?: unknown } | null)?.code;
  const code = typeof errno === "string" ? errno : undefined;
  const message = redact(`postgres ${endpoint.label}: ${raw === "" ? (code ?? "error") : raw}`, endpoint.secrets);
  const classify = (): PgFailureCode => {
    if (code === undefined) return /timeout|terminated|closed|ended/i.test(raw) ? "unreachable" : "query";
    if (NETWORK_CODES.has(code) || code.startsWith("08") || code === "57P01" || code === "57P03") return "unreachable";
    if (code === "28P01" || code === "28000") return "auth";
    if (code === "57014") return "timeout";
    if (code === "55P03") return "lock-timeout";
    return "query";
  };
  const failureCode = classify();
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code)
    ? { code: failureCode, sqlState: code, message }
    : { code: failureCode, message };
}

/** `a.b` → `"a"."b"`, for table names validated as lower-case identifiers. Pure. */
export function quoteTable(table: string): string {
  return table
    .split(".")
    .map((part) => `"${part}"`)
    .join(".");
}
