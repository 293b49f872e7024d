/**
 * A small JSONPath subset for picking values out of sensor and observe
 * responses: `$`, `.key`, `['key']`, `[0]` and `[*]` (every element of an
 * array). A path without a leading `$` is relative (`name` = `$.name`).
 */

/** One step of a parsed path. */
export type PathSegment =
  | { readonly kind: "key"; readonly key: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "wildcard" };

/** A parsed path; `source` is the text it came from (for messages). */
export interface JsonPath {
  readonly source: string;
  readonly segments: readonly PathSegment[];
  /** True when the path can select several values (`[*]`). */
  readonly hasWildcard: boolean;
}

/** Parses a path. Pure; errors are values with a message for plan validation. */
export function parseJsonPath(source: string): { ok: true; value: JsonPath } | { ok: false; message: string } {
  let rest = source.trim();
  if (rest.startsWith("$")) rest = rest.slice(1);
  else if (rest !== "" && !rest.startsWith("[")) rest = `.${rest}`;
  const segments: PathSegment[] = [];
  while (rest !== "") {
    const match =
      /^\.([^.[\]'"*]+)/.exec(rest) ??
      /^\[(\d+)\]/.exec(rest) ??
      /^\[(\*)\]/.exec(rest) ??
      /^\['([^']*)'\]/.exec(rest) ??
      /^\["([^"]*)"\]/.exec(rest);
    const [text, captured] = match ?? [];
    if (text === undefined || captured === undefined) {
      return { ok: false, message: `unsupported path syntax at "${rest}" (use $.a.b, $.items[0].x, $.items[*])` };
    }
    if (text.startsWith("[") && /^\d+$/.test(captured)) segments.push({ kind: "index", index: Number(captured) });
    else if (text === "[*]") segments.push({ kind: "wildcard" });
    else segments.push({ kind: "key", key: captured });
    rest = rest.slice(text.length);
  }
  return { ok: true, value: { source, segments, hasWildcard: segments.some((s) => s.kind === "wildcard") } };
}

/**
 * Every value the path selects in `root`, in document order. Missing keys and
 * out-of-range indexes select nothing; `[*]` on a non-array selects nothing.
 */
export function selectJsonPath(root: unknown, path: JsonPath): unknown[] {
  let current: unknown[] = [root];
  for (const segment of path.segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === "wildcard") {
        if (Array.isArray(value)) next.push(...value);
      } else if (segment.kind === "index") {
        if (Array.isArray(value) && segment.index < value.length) next.push(value[segment.index]);
      } else if (isJsonObject(value) && Object.hasOwn(value, segment.key)) {
        next.push(value[segment.key]);
      }
    }
    current = next;
  }
  return current;
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
