/**
 * Durations as plans write them: `250ms`, `30s`, `5m`, `2h`, `1d`, or a
 * combination from the largest unit down, like `1h30m` or `1m30s`.
 * Bare numbers are refused: `30` could mean seconds or milliseconds.
 */
import { z } from "zod";

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** Each unit at most once, largest first; `m(?!s)` keeps `5ms` from being read as minutes. */
const DURATION_PATTERN = /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

const EXPECTED = "a duration like 250ms, 30s, 5m, 2h, 1d or 1m30s";

/**
 * Parses a duration into milliseconds. Pure; returns `undefined` for
 * anything that is not a duration string (including numbers) or that
 * exceeds `Number.MAX_SAFE_INTEGER` ms.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, days, hours, minutes, seconds, millis] = match;
  const parts: readonly [string | undefined, number][] = [
    [days, UNIT_MS.d],
    [hours, UNIT_MS.h],
    [minutes, UNIT_MS.m],
    [seconds, UNIT_MS.s],
    [millis, UNIT_MS.ms],
  ];
  let totalMs = 0;
  for (const [digits, unitMs] of parts) {
    if (digits !== undefined) totalMs += Number(digits) * unitMs;
  }
  return Number.isSafeInteger(totalMs) ? totalMs : undefined;
}

/** Formats milliseconds as the shortest duration string `parseDurationMs` reads back. Pure. */
export function formatDuration(totalMs: number): string {
  if (totalMs === 0) return "0s";
  let rest = totalMs;
  let text = "";
  for (const [unit, unitMs] of Object.entries(UNIT_MS)) {
    const count = Math.floor(rest / unitMs);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * unitMs;
  }
  return text;
}

/**
 * Zod schema of a duration string (the surface form; convert with
 * `parseDurationMs`). `positive` refuses `0s`, for intervals and timeouts.
 */
export function durationSchema(positive: boolean): z.ZodString {
  return z
    .string({
      error: (issue) =>
        typeof issue.input === "number"
          ? `expected ${EXPECTED}, found the bare number ${issue.input}: use a duration like 30s`
          : undefined,
    })
    .regex(DURATION_PATTERN, {
      abort: true,
      error: (issue) => `expected ${EXPECTED}, found ${JSON.stringify(issue.input)}`,
    })
    .refine((text) => parseDurationMs(text) !== undefined, { abort: true, error: "duration is too long" })
    .refine((text) => !positive || parseDurationMs(text) !== 0, { error: "expected a duration above zero, found 0" });
}
