/** Parser for HAProxy's `show info` (`Name: value` lines). Pure. */

import type { TargetResult } from "../../target.ts";
import type { RouterInfo } from "../router-driver.ts";
import { failure, firstLine } from "./runtime-command.ts";

/** The process facts Airlock reads from `show info`. */
export interface HaproxyInfo extends RouterInfo {
  /** The worker's process id: a reload starts a new worker. */
  readonly pid: number;
  readonly version: string;
  readonly uptimeMs: number;
}

/**
 * Parses `show info`. `startedAtMs` is `Start_time_sec` (whole seconds: two
 * reloads within one second look alike, so compare `pid` too); `nowMs` is
 * HAProxy's own clock, start plus uptime, also to the second.
 */
export function parseShowInfo(text: string): TargetResult<HaproxyInfo> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2).trim());
  }
  if (!fields.has("Name")) return failure("command", `show info: ${firstLine(text) || "empty answer"}`, false);
  const startSec = Number(fields.get("Start_time_sec"));
  const uptimeSec = Number(fields.get("Uptime_sec"));
  const pid = Number(fields.get("Pid"));
  if (![startSec, uptimeSec, pid].every((n) => Number.isInteger(n) && n >= 0)) {
    return failure("parse", "show info: Start_time_sec, Uptime_sec or Pid missing or not a number", false);
  }
  return {
    ok: true,
    value: {
      startedAtMs: startSec * 1000,
      nowMs: (startSec + uptimeSec) * 1000,
      uptimeMs: uptimeSec * 1000,
      pid,
      version: fields.get("Version") ?? "",
    },
  };
}
