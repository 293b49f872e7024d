/**
 * `${NAME}` references in plan values (header values, command env), so that
 * tokens live in the controller's environment and never in a plan.
 */

/** The result of expanding a record: the values, and the substituted values (to redact from messages). */
export type ExpandedRecord =
  | { readonly ok: true; readonly value: Record<string, string>; readonly secrets: readonly string[] }
  | { readonly ok: false; readonly message: string };

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Expands every `${NAME}` in the record's values from `env`. Every value
 * that came from `env` is reported in `secrets`. An unset variable is an
 * error naming the variable (never any value). Pure.
 */
export function expandEnvRefs(
  record: Readonly<Record<string, string>> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ExpandedRecord {
  const value: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [key, template] of Object.entries(record ?? {})) {
    let missing: string | undefined;
    value[key] = template.replace(REFERENCE, (_match, name: string) => {
      const resolved = env[name];
      if (resolved === undefined) {
        missing ??= name;
        return "";
      }
      secrets.push(resolved);
      return resolved;
    });
    if (missing !== undefined) {
      return { ok: false, message: `${key} references unset environment variable ${missing}` };
    }
  }
  return { ok: true, value, secrets };
}
