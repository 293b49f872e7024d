/** Parser for HAProxy's `show sess` (one line per stream). Pure. */

import type { TargetResult } from "../../target.ts";
import type { SessionInfo } from "../router-driver.ts";
import { failure, firstLine } from "./runtime-command.ts";

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

/**
 * Parses HAProxy's human duration (`0s`, `5s`, `1m30s`, `2h5m`, `3d4h`): at
 * most two units, the smaller ones dropped, so the true duration lies in
 * `[lowerMs, lowerMs + resolutionMs)`. Pure; `undefined` when malformed.
 */
export function parseHumanDuration(text: string): { lowerMs: number; resolutionMs: number } | undefined {
  if (!/^(?:\d+[dhms])+$/.test(text)) return undefined;
  let lowerMs = 0;
  let resolutionMs = Number.POSITIVE_INFINITY;
  for (const [, amount, unit] of text.matchAll(/(\d+)([dhms])/g)) {
    const unitMs = UNIT_MS[unit ?? ""] ?? Number.NaN;
    lowerMs += Number(amount) * unitMs;
    resolutionMs = Math.min(resolutionMs, unitMs);
  }
  // "1h" may be "1h0m59s": only the least significant printed unit bounds it.
  return { lowerMs, resolutionMs };
}

/**
 * Sessions of `backend` that have a server, from `show sess`. Streams still
 * queued (`srv=<none>`) and other proxies' streams are skipped.
 *
 * HAProxy prints ages truncated to whole seconds (minutes past an hour), so
 * `ageMs` is the *upper* end of the interval the true age lies in: a
 * "displaced work" gate that asks "did this session start before the action?"
 * may then count a session that started just after it, never miss one that
 * started before (fail closed). A stream line of the backend that cannot be
 * read is a `parse` error rather than a session silently left out.
 */
export function parseShowSess(text: string, backend: string): TargetResult<readonly SessionInfo[]> {
  const sessions: SessionInfo[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith("0x")) return failure("command", `show sess: ${firstLine(line)}`, false);
    const fields = new Map<string, string>();
    for (const token of line.split(" ")) {
      const eq = token.indexOf("=");
      if (eq > 0 && !fields.has(token.slice(0, eq))) fields.set(token.slice(0, eq), token.slice(eq + 1));
    }
    if (fields.get("be") !== backend) continue;
    const server = fields.get("srv");
    if (server === undefined || server === "<none>") continue;
    const age = parseHumanDuration(fields.get("age") ?? "");
    if (age === undefined) return failure("parse", `show sess: unreadable age in "${line.slice(0, 160)}"`, false);
    sessions.push({ server, ageMs: age.lowerMs + age.resolutionMs });
  }
  return { ok: true, value: sessions };
}
