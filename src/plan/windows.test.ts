import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChangeWindow } from "./types.ts";
import { isInsideWindow, nextWindowOpenMs } from "./windows.ts";

const MINUTE_MS = 60_000;
const utc = (text: string): number => Date.parse(`${text}Z`);

const officeHours: ChangeWindow = {
  days: [1, 2, 3, 4, 5],
  startMinute: 9 * 60,
  endMinute: 16 * 60,
  timeZone: "Europe/Berlin",
};
/** Fridays 22:00 until Saturday 02:00, Berlin time. */
const fridayNight: ChangeWindow = { days: [5], startMinute: 22 * 60, endMinute: 2 * 60, timeZone: "Europe/Berlin" };

describe("change windows", () => {
  it("has no restriction without windows", () => {
    expect(isInsideWindow([], utc("2024-01-06T03:00"))).toBe(true);
    expect(nextWindowOpenMs([], utc("2024-01-06T03:00"))).toBe(utc("2024-01-06T03:00"));
  });

  it("opens at the local start, inclusive, and closes at the local end, exclusive", () => {
    // Monday 8 January 2024; Berlin is UTC+1 in winter.
    expect(isInsideWindow([officeHours], utc("2024-01-08T07:59:59.999"))).toBe(false);
    expect(isInsideWindow([officeHours], utc("2024-01-08T08:00"))).toBe(true);
    expect(isInsideWindow([officeHours], utc("2024-01-08T14:59:59.999"))).toBe(true);
    expect(isInsideWindow([officeHours], utc("2024-01-08T15:00"))).toBe(false);
    expect(isInsideWindow([officeHours], utc("2024-01-07T10:00"))).toBe(false);
  });

  it("waits over a weekend for Monday morning", () => {
    expect(nextWindowOpenMs([officeHours], utc("2024-01-05T16:30"))).toBe(utc("2024-01-08T08:00"));
  });

  it("follows the spring-forward change in Europe/Berlin across a weekend", () => {
    // Clocks jump from 02:00 to 03:00 on Sunday 31 March 2024: Monday 09:00 is 07:00 UTC.
    expect(nextWindowOpenMs([officeHours], utc("2024-03-29T16:00"))).toBe(utc("2024-04-01T07:00"));
    expect(isInsideWindow([officeHours], utc("2024-04-01T06:59"))).toBe(false);
  });

  it("opens a window that starts inside the skipped hour when the clocks jump", () => {
    const window: ChangeWindow = { days: [0], startMinute: 150, endMinute: 240, timeZone: "Europe/Berlin" };
    expect(isInsideWindow([window], utc("2024-03-31T00:59:59"))).toBe(false);
    expect(nextWindowOpenMs([window], utc("2024-03-31T00:30"))).toBe(utc("2024-03-31T01:00"));
    expect(isInsideWindow([window], utc("2024-03-31T01:00"))).toBe(true);
  });

  it("is inside both times during the repeated autumn hour", () => {
    // Clocks go back from 03:00 to 02:00 on Sunday 27 October 2024.
    const window: ChangeWindow = { days: [0], startMinute: 120, endMinute: 150, timeZone: "Europe/Berlin" };
    expect(isInsideWindow([window], utc("2024-10-27T00:15"))).toBe(true);
    expect(isInsideWindow([window], utc("2024-10-27T00:45"))).toBe(false);
    expect(isInsideWindow([window], utc("2024-10-27T01:15"))).toBe(true);
    expect(nextWindowOpenMs([window], utc("2024-10-27T00:45"))).toBe(utc("2024-10-27T01:00"));
  });

  it("counts the hours after midnight as part of the previous day's window", () => {
    expect(isInsideWindow([fridayNight], utc("2024-01-05T20:59"))).toBe(false);
    expect(isInsideWindow([fridayNight], utc("2024-01-05T21:00"))).toBe(true);
    expect(isInsideWindow([fridayNight], utc("2024-01-06T00:59"))).toBe(true);
    expect(isInsideWindow([fridayNight], utc("2024-01-06T01:00"))).toBe(false);
    // Thursday night is not a Friday window.
    expect(isInsideWindow([fridayNight], utc("2024-01-05T00:30"))).toBe(false);
    expect(nextWindowOpenMs([fridayNight], utc("2024-01-06T01:00"))).toBe(utc("2024-01-12T21:00"));
  });

  it("opens at the earliest of several windows, in different zones", () => {
    const tokyo: ChangeWindow = { days: [6], startMinute: 0, endMinute: 60, timeZone: "Asia/Tokyo" };
    // Saturday 00:00 in Tokyo is Friday 15:00 UTC, before Friday 22:00 in Berlin.
    expect(nextWindowOpenMs([fridayNight, tokyo], utc("2024-01-05T12:00"))).toBe(utc("2024-01-05T15:00"));
  });

  it("never opens a window without days", () => {
    expect(nextWindowOpenMs([{ ...officeHours, days: [] }], utc("2024-01-05T12:00"))).toBeUndefined();
  });

  it("agrees with a minute-by-minute scan, across zones and daylight-saving changes", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"];
    const window = fc.record({
      days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }),
      startMinute: fc.integer({ min: 0, max: 1439 }),
      endMinute: fc.integer({ min: 1, max: 1440 }),
      timeZone: fc.constantFrom(...zones),
    });
    // Around the 2024 changes in those zones (March/April and October/November).
    const start = fc.constantFrom(
      utc("2024-03-28T00:00"),
      utc("2024-04-04T00:00"),
      utc("2024-10-24T00:00"),
      utc("2024-10-31T00:00"),
    );
    const property = fc.property(window, start, fc.integer({ min: 0, max: 3 * 1440 }), (w, base, offsetMinutes) => {
      fc.pre(w.startMinute !== w.endMinute);
      const atMs = base + offsetMinutes * MINUTE_MS;
      const openMs = nextWindowOpenMs([w], atMs);
      let scanMs = atMs;
      while (!isInsideWindow([w], scanMs)) scanMs += MINUTE_MS;
      expect(openMs).toBe(scanMs);
    });
    fc.assert(property, { seed: 20240331, numRuns: 25 });
  });
});
