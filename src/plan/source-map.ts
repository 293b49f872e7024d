/**
 * Maps a field path in a parsed plan back to a line and column of its YAML
 * (or JSON) source, so that every validation error points at the text the
 * user wrote.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/** One step of a field path: a mapping key or a list index. */
export type PathSegment = string | number;

/** A 1-based source position. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * Formats a path the way users read it: `stages[1].gates.drained[0].max`;
 * keys that are not plain words are quoted (`sensors["a.b"]`). The root is `""`.
 */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/**
 * Position of the node at `path`: its value, or its key when `pointAt` is
 * `"key"` (unknown fields, invalid names). When the path does not exist (a
 * missing field) it is the position of the deepest mapping or list that
 * does, i.e. where the field belongs. Pure; never throws for any path.
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  pointAt: "value" | "key",
): SourcePosition {
  let node = resolve(doc, doc.contents);
  let offset = node?.range?.[0] ?? 0;
  for (const [index, segment] of path.entries()) {
    if (node === undefined) break;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      const keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      if (pointAt === "key" && index === path.length - 1 && keyOffset !== undefined) {
        offset = keyOffset;
        break;
      }
      next = pair.value;
      // `key:` with no value has no node of its own: the key is where it is.
      if (next === null && keyOffset !== undefined) offset = keyOffset;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
    } else {
      break;
    }
    node = resolve(doc, next);
    if (node?.range !== undefined && node.range !== null) offset = node.range[0];
  }
  const position = lineCounter.linePos(offset);
  return { line: Math.max(1, position.line), column: Math.max(1, position.col) };
}

function resolve(doc: Document, value: unknown): Node | undefined {
  if (isAlias(value)) return resolve(doc, value.resolve(doc));
  if (isMap(value) || isSeq(value) || isScalar(value)) return value;
  return undefined;
}
