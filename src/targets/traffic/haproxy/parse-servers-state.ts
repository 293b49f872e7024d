/** Parser for HAProxy's `show servers state [backend]`. Pure. */

import type { TargetResult } from "../../target.ts";
import type { AdminState } from "../router-driver.ts";
import { failure, firstLine } from "./runtime-command.ts";

/** One server line of `show servers state`. */
export interface ServerStateRow {
  readonly backend: string;
  readonly server: string;
  /** `srv_uweight`: the runtime (user) weight, what `set weight` changes. */
  readonly userWeight: number;
  /** `srv_iweight`: the weight the configuration gives. */
  readonly initialWeight: number;
  /** Derived from the `srv_admin_state` bit field. */
  readonly adminState: AdminState;
  /** `srv_addr:srv_port`, when HAProxy reports both. */
  readonly address?: string;
}

// srv_admin_state bits (HAProxy's SRV_ADMF_*): forced, inherited, config,
// resolution and hostname maintenance; forced and inherited drain.
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const DRAIN_BITS = 0x08 | 0x10;

/** Maps HAProxy's `srv_admin_state` bit field to an {@link AdminState}; maintenance wins over drain. Pure. */
export function adminStateFromBits(bits: number): AdminState {
  if ((bits & MAINT_BITS) !== 0) return "maint";
  if ((bits & DRAIN_BITS) !== 0) return "drain";
  return "ready";
}

/**
 * Parses `show servers state` (format version 1: a version line, a `#` header
 * naming the columns, then one space-separated line per server). An answer
 * without the header is HAProxy's error message (`command`, e.g. "Can't find
 * backend."); a malformed line is a `parse` error.
 */
export function parseServersState(text: string): TargetResult<readonly ServerStateRow[]> {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0) return failure("parse", "show servers state: empty answer", false);
  const headerAt = lines.findIndex((line) => line.startsWith("# "));
  if (headerAt === -1) return failure("command", `show servers state: ${firstLine(text)}`, false);
  if (lines[0]?.trim() !== "1") return failure("parse", `show servers state: unsupported format "${lines[0]}"`, false);
  const columns = (lines[headerAt] ?? "").slice(2).trim().split(/\s+/);
  const at = (name: string): number => columns.indexOf(name);
  const wanted = ["be_name", "srv_name", "srv_admin_state", "srv_uweight", "srv_iweight"];
  const missing = wanted.filter((name) => at(name) === -1);
  if (missing.length > 0) return failure("parse", `show servers state: missing columns ${missing.join(", ")}`, false);

  const rows: ServerStateRow[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    const fields = line.trim().split(/\s+/);
    const text = (name: string): string => fields[at(name)] ?? "";
    const adminBits = Number(text("srv_admin_state"));
    const userWeight = Number(text("srv_uweight"));
    const initialWeight = Number(text("srv_iweight"));
    if (fields.length < columns.length || ![adminBits, userWeight, initialWeight].every(Number.isInteger)) {
      return failure("parse", `show servers state: malformed line "${line.slice(0, 120)}"`, false);
    }
    const host = text("srv_addr");
    const port = text("srv_port");
    const known = host !== "" && host !== "-" && /^[0-9]+$/.test(port) && port !== "0";
    rows.push({
      backend: text("be_name"),
      server: text("srv_name"),
      userWeight,
      initialWeight,
      adminState: adminStateFromBits(adminBits),
      ...(known ? { address: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}` } : {}),
    });
  }
  return { ok: true, value: rows };
}
