import { describe, expect, it } from "vitest";
import { parseFlagOptions } from "./flag-options.ts";

describe("parseFlagOptions", () => {
  it("has no evaluator without a flag file", () => {
    expect(parseFlagOptions({})).toEqual({ ok: true, value: undefined });
  });

  it("reads the file, key, reload interval and per-variant error shares", () => {
    expect(
      parseFlagOptions({
        SAMPLE_FLAG_FILE: "/f.json",
        SAMPLE_FLAG_KEY: "checkout",
        SAMPLE_FLAG_RELOAD_MS: "5000",
        SAMPLE_FLAG_ERROR_RATES: "on=0.5, off=0.01",
      }),
    ).toEqual({
      ok: true,
      value: { file: "/f.json", flag: "checkout", reloadMs: 5000, errorRates: { on: 0.5, off: 0.01 } },
    });
  });

  it.each([
    [{ SAMPLE_FLAG_FILE: "/f.json" }, /SAMPLE_FLAG_KEY is required/],
    [{ SAMPLE_FLAG_FILE: "/f.json", SAMPLE_FLAG_KEY: "k", SAMPLE_FLAG_RELOAD_MS: "0" }, /SAMPLE_FLAG_RELOAD_MS/],
    [{ SAMPLE_FLAG_FILE: "/f.json", SAMPLE_FLAG_KEY: "k", SAMPLE_FLAG_ERROR_RATES: "on=2" }, /shares in \[0, 1\]/],
  ])("refuses %j", (env, message) => {
    const parsed = parseFlagOptions(env);
    expect(parsed.ok ? "" : parsed.message).toMatch(message);
  });
});
