/**
 * Keeping secrets out of messages: anything that reaches an event, a log or
 * an API response goes through {@link redact} first.
 */

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PASS$|CREDENTIAL|API_?KEY|PRIVATE|AUTH/i;
/** Shorter values are too likely to match ordinary text ("1", "true"). */
const MIN_SECRET_LENGTH = 4;

/** Values of environment variables whose names look secret (`*_TOKEN`, `*PASSWORD*`, `API_KEY`, ...). */
export function secretEnvValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value ?? "");
}

/**
 * Replaces every occurrence of each secret, and anything after `Bearer ` or
 * `Basic `, with `***`. Pure; safe on text without secrets.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const sorted = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of sorted) result = result.split(secret).join("***");
  return result.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 ***");
}

/** Cuts `text` to at most `maxChars` characters, marking the cut with `…`. */
export function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(0, maxChars - 1))}…`;
}

/** The last non-empty line of `text` (trimmed), or "" when there is none. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  return lines[lines.length - 1]?.trim() ?? "";
}

/** A URL for messages: scheme, host and path only (no userinfo, query or fragment, which may hold tokens). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(invalid url)";
  }
}
