import { describe, expect, it } from "vitest";
import { judgeNode, type ProbedEntry } from "./invalidation-probe.ts";

const probe = { keys: ["item:1", "item:2"], versionField: "v" };
const hash = (key: string, v: string): ProbedEntry => ({ key, type: "hash", raw: v });
const miss = (key: string): ProbedEntry => ({ key, type: "none", raw: null });

describe("judgeNode", () => {
  it("passes a node whose sample keys read a miss or a version at least the bumped namespace version", () => {
    expect(
      judgeNode(probe, { namespaceVersion: "8", entries: [miss("item:1"), hash("item:2", "8")] }, undefined),
    ).toEqual({
      ok: true,
      invalidated: true,
      reason: "",
    });
  });

  it("holds a node that still serves an entry from the old version, saying which", () => {
    expect(
      judgeNode(probe, { namespaceVersion: "8", entries: [hash("item:1", "7"), miss("item:2")] }, undefined),
    ).toEqual({
      ok: true,
      invalidated: false,
      reason: "item:1 has version 7 < 8",
    });
  });

  it("takes the highest of the namespace version and the plan's floor", () => {
    const answer = { namespaceVersion: "8", entries: [hash("item:1", "8")] };
    expect(judgeNode(probe, answer, 9)).toMatchObject({ invalidated: false, reason: "item:1 has version 8 < 9" });
  });

  it("reads the version of a JSON string entry", () => {
    const entry: ProbedEntry = { key: "item:1", type: "string", raw: '{"v":9,"body":{}}' };
    expect(judgeNode(probe, { entries: [entry] }, 9)).toMatchObject({ invalidated: true });
  });

  it("passes only a miss when there is no version to compare with", () => {
    expect(
      judgeNode({ keys: ["search:a"] }, { entries: [{ key: "search:a", type: "string", raw: "[]" }] }, undefined),
    ).toEqual({
      ok: true,
      invalidated: false,
      reason: "search:a is still cached",
    });
  });

  it("holds a node whose version key is missing (restarted empty, or deleted)", () => {
    expect(judgeNode(probe, { namespaceVersion: null, entries: [] }, undefined)).toMatchObject({
      invalidated: false,
      reason: "the version key is missing",
    });
  });

  it.each([
    [
      { namespaceVersion: "8", entries: [hash("item:1", "eight")] },
      "item:1 field v: expected a number, found a 5-character string",
    ],
    [{ namespaceVersion: "v8", entries: [] }, "version key: expected a number, found a 2-character string"],
    [{ entries: [{ key: "item:1", type: "string", raw: "<html>" }] }, "item:1 is not JSON, so it has no v"],
    [{ entries: [{ key: "item:1", type: "list", raw: null }] }, "item:1 is a list, not a hash or string"],
  ])("reports a malformed reply as an error, never a pass: %j", (answer, message) => {
    expect(judgeNode(probe, answer, 1)).toEqual({ ok: false, message });
  });
});
