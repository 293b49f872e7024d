import { describe, expect, it } from "vitest";
import { observationFromText } from "./observe-protocol.ts";

const AT_MS = 1_700_000_000_000;

describe("observe protocol", () => {
  it("matches when the expected key is among the applied keys", () => {
    expect(observationFromText('{"applied":["a","b"]}', "b", AT_MS)).toEqual({
      ok: true,
      value: { observedAtMs: AT_MS, state: { applied: ["a", "b"] }, matches: true },
    });
    expect(observationFromText('{"applied":["a"]}', "b", AT_MS)).toMatchObject({ ok: true, value: { matches: false } });
  });

  it("cannot match applied keys without an expected request", () => {
    expect(observationFromText('{"applied":["a"]}', undefined, AT_MS)).toMatchObject({ value: { matches: "unknown" } });
  });

  it("takes the observer's own verdict, state and drift", () => {
    const text = JSON.stringify({ matches: false, state: { weight: 30 }, drift: "weight set by hand", applied: ["b"] });
    expect(observationFromText(text, "b", AT_MS)).toEqual({
      ok: true,
      value: { observedAtMs: AT_MS, state: { weight: 30 }, matches: false, drift: "weight set by hand" },
    });
  });

  it.each([
    ["not json", "not JSON"],
    ["{}", "needs applied or matches"],
    ['{"matches":"maybe"}', "at matches"],
  ])("refuses %s as a non-retryable parse failure", (text, message) => {
    const result = observationFromText(text, "k", AT_MS);
    expect(result).toMatchObject({ ok: false, code: "parse", retryable: false });
    expect(result.ok ? "" : result.message).toContain(message);
  });
});
