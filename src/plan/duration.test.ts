import { describe, expect, it } from "vitest";
import { z } from "zod";
import { durationSchema, formatDuration, parseDurationMs } from "./duration.ts";

describe("durations", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1m30s", 90_000],
    ["1h30m", 5_400_000],
    ["1d2h3m4s5ms", 93_784_005],
    ["0s", 0],
  ])("reads %s as %i ms", (text, expectedMs) => {
    expect(parseDurationMs(text)).toBe(expectedMs);
  });

  it.each(["", "30", "30 s", "s", "1.5s", "-5s", "5x", "30s1m", "1m1m", "5sec", "1h 30m", `${"9".repeat(30)}d`])(
    "refuses %j",
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );

  it("formats what it reads back", () => {
    for (const ms of [0, 1, 999, 1000, 90_000, 93_784_005]) expect(parseDurationMs(formatDuration(ms))).toBe(ms);
    expect(formatDuration(90_000)).toBe("1m30s");
  });

  it("tells a bare number to use a duration", () => {
    const result = durationSchema(false).safeParse(30);
    expect(result.error?.issues[0]?.message).toContain("use a duration like 30s");
  });

  it("gives one message per bad duration, and refuses zero only where a positive one is needed", () => {
    expect(durationSchema(true).safeParse("soon").error?.issues).toHaveLength(1);
    expect(durationSchema(true).safeParse("0s").error?.issues[0]?.message).toContain("above zero");
    expect(z.object({ bake: durationSchema(false) }).safeParse({ bake: "0s" }).success).toBe(true);
  });
});
