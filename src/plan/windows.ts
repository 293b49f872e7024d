/**
 * Change windows: weekly local-time intervals in a named time zone, during
 * which a stage may start. Local time is read with `Intl.DateTimeFormat`,
 * so daylight-saving changes follow the zone's rules: a window that opens
 * inside a skipped hour opens when the clocks jump, and a repeated hour is
 * inside the window both times.
 */
import type { ChangeWindow } from "./types.ts";

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;
/** A week plus margin for a daylight-saving shift: any window opens within it. */
const SEARCH_HORIZON_MS = (WEEK_MINUTES + DAY_MINUTES) * MINUTE_MS;

interface LocalTime {
  /** 0 = Sunday … 6 = Saturday, of the local date. */
  readonly weekday: number;
  readonly minuteOfDay: number;
  /** Milliseconds since the start of the local minute. */
  readonly msIntoMinute: number;
  /** Local wall time minus UTC. */
  readonly offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * True when `atMs` (ms since the epoch) lies inside at least one window;
 * true for an empty list (no windows: no restriction). Pure. Throws a
 * `RangeError` for a time zone `Intl` does not know (plans are validated).
 */
export function isInsideWindow(windows: readonly ChangeWindow[], atMs: number): boolean {
  return windows.length === 0 || windows.some((window) => isInside(window, localTime(window.timeZone, atMs)));
}

/**
 * The earliest instant at or after `atMs` that is inside a window: `atMs`
 * itself when already inside (or when the list is empty), otherwise the
 * next opening. `undefined` when no window ever opens (no days). Pure.
 */
export function nextWindowOpenMs(windows: readonly ChangeWindow[], atMs: number): number | undefined {
  if (windows.length === 0) return atMs;
  let earliest: number | undefined;
  for (const window of windows) {
    const openMs = nextOpenMs(window, atMs);
    if (openMs !== undefined && (earliest === undefined || openMs < earliest)) earliest = openMs;
  }
  return earliest;
}

function isInside(window: ChangeWindow, local: LocalTime): boolean {
  const { startMinute, endMinute, days } = window;
  const minute = local.minuteOfDay;
  if (startMinute < endMinute) return days.includes(local.weekday) && minute >= startMinute && minute < endMinute;
  // Crossing midnight: the part after midnight belongs to the previous day's window.
  return (
    (days.includes(local.weekday) && minute >= startMinute) ||
    (days.includes((local.weekday + 6) % 7) && minute < endMinute)
  );
}

function nextOpenMs(window: ChangeWindow, fromMs: number): number | undefined {
  let atMs = fromMs;
  // Each step either lands inside or crosses one offset change; a week holds very few.
  for (let step = 0; step < 16 && atMs - fromMs <= SEARCH_HORIZON_MS; step++) {
    const local = localTime(window.timeZone, atMs);
    if (isInside(window, local)) return atMs;
    const waitMs = wallClockWaitMs(window, local);
    if (waitMs === undefined) return undefined;
    const candidateMs = atMs + waitMs;
    const candidateOffsetMs = localTime(window.timeZone, candidateMs).offsetMs;
    // The wait assumed a constant offset; if it changed on the way, continue from the change.
    atMs =
      candidateOffsetMs === local.offsetMs
        ? candidateMs
        : offsetChangeMs(window.timeZone, atMs, candidateMs, local.offsetMs);
  }
  return undefined;
}

/** Wall-clock time until the window next opens, assuming the UTC offset stays as it is. */
function wallClockWaitMs(window: ChangeWindow, local: LocalTime): number | undefined {
  let bestMinutes: number | undefined;
  for (const day of window.days) {
    let minutes = ((day - local.weekday + 7) % 7) * DAY_MINUTES + window.startMinute - local.minuteOfDay;
    if (minutes <= 0) minutes += WEEK_MINUTES;
    if (bestMinutes === undefined || minutes < bestMinutes) bestMinutes = minutes;
  }
  return bestMinutes === undefined ? undefined : bestMinutes * MINUTE_MS - local.msIntoMinute;
}

/** First instant in (`fromMs`, `toMs`] whose offset differs from `offsetMs` (binary search). */
function offsetChangeMs(timeZone: string, fromMs: number, toMs: number, offsetMs: number): number {
  let before = fromMs;
  let after = toMs;
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (localTime(timeZone, middle).offsetMs === offsetMs) before = middle;
    else after = middle;
  }
  return after;
}

function localTime(timeZone: string, atMs: number): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(atMs)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  const wholeSecondMs = Math.floor(atMs / 1000) * 1000;
  return {
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    minuteOfDay: hour * 60 + minute,
    msIntoMinute: second * 1000 + (atMs - wholeSecondMs),
    offsetMs: Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecondMs,
  };
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (cached === undefined) {
    cached = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, cached);
  }
  return cached;
}
