import { describe, expect, it } from "vitest";
import { type JsonPath, parseJsonPath, selectJsonPath } from "./json-path.ts";

function path(source: string): JsonPath {
  const parsed = parseJsonPath(source);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

const document = { a: { b: 1 }, items: [{ x: 2 }, { x: 3 }], "dotted.key": 4, grid: [[5], [6]] };

describe("json path subset", () => {
  it.each([
    ["$", [document]],
    ["$.a.b", [1]],
    ["a.b", [1]],
    ["$.items[1].x", [3]],
    ["$.items[*].x", [2, 3]],
    ["$['dotted.key']", [4]],
    ["$.grid[*][0]", [5, 6]],
    ["$.missing.b", []],
    ["$.items[9]", []],
    ["$.a[*]", []],
  ])("selects %s", (source, expected) => {
    expect(selectJsonPath(document, path(source))).toEqual(expected);
  });

  it("marks wildcard paths", () => {
    expect([path("$.items[*]").hasWildcard, path("$.items[0]").hasWildcard]).toEqual([true, false]);
  });

  it.each(["$.a[?(@.x)]", "$..a", "$.items[-1]", "$.a.", "$[x]"])("rejects unsupported syntax %s", (source) => {
    expect(parseJsonPath(source).ok).toBe(false);
  });

  it("never reads inherited properties", () => {
    expect(selectJsonPath({}, path("$.constructor"))).toEqual([]);
  });
});
