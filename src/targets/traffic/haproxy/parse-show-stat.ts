/** Parser for the CSV answer of HAProxy's `show stat`. Pure. */
import type { TargetResult } from "../../target.ts";
import { failure, firstLine } from "./runtime-command.ts";

/** One server line of `show stat`: the fields Airlock reads. */
export interface StatRow {
  readonly proxy: string;
  readonly server: string;
  /** `UP`, `DOWN`, `DRAIN`, `MAINT`, `no check`, ... */
  readonly status: string;
  /** Effective weight as HAProxy reports it in `weight`. */
  readonly weight: number;
  /** `scur`: sessions on the server now. */
  readonly currentSessions: number;
  /** `qcur`: requests queued for the server. */
  readonly queued: number;
  /** `req_tot` (HTTP mode), or `stot` when the proxy runs in TCP mode. Counter. */
  readonly requestsTotal: number;
  /** `hrsp_5xx + eresp + econ`. Counter. */
  readonly errorsTotal: number;
}

const REQUIRED = [
  "pxname",
  "svname",
  "status",
  "weight",
  "scur",
  "qcur",
  "stot",
  "econ",
  "eresp",
  "hrsp_5xx",
  "req_tot",
];

/**
 * Parses `show stat` output into server rows (frontend and backend summary
 * lines are skipped). Empty numeric cells count as 0 (HAProxy leaves
 * HTTP-only counters empty in TCP mode). An answer without the CSV header is
 * HAProxy's error message (`command`); a malformed row is a `parse` error.
 */
export function parseShowStat(text: string): TargetResult<readonly StatRow[]> {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const header = lines[0];
  if (header === undefined) return failure("parse", "show stat: empty answer", false);
  if (!header.startsWith("# ")) return failure("command", `show stat: ${firstLine(text)}`, false);
  const columns = header.slice(2).split(",");
  const index = new Map(columns.map((name, i) => [name, i]));
  const missing = REQUIRED.filter((name) => !index.has(name));
  if (missing.length > 0) return failure("parse", `show stat: missing columns ${missing.join(", ")}`, false);

  const rows: StatRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    const cell = (name: string): string => cells[index.get(name) ?? -1] ?? "";
    const server = cell("svname");
    if (server === "FRONTEND" || server === "BACKEND") continue;
    const numbers = readNumbers(cell, ["weight", "scur", "qcur", "stot", "req_tot", "hrsp_5xx", "eresp", "econ"]);
    if (!numbers.ok) return failure("parse", `show stat: ${server}: ${numbers.message}`, false);
    const n = numbers.value;
    rows.push({
      proxy: cell("pxname"),
      server,
      status: cell("status"),
      weight: n.weight,
      currentSessions: n.scur,
      queued: n.qcur,
      requestsTotal: cell("req_tot") === "" ? n.stot : n.req_tot,
      errorsTotal: n.hrsp_5xx + n.eresp + n.econ,
    });
  }
  return { ok: true, value: rows };
}

function readNumbers<K extends string>(
  cell: (name: string) => string,
  names: readonly K[],
): { ok: true; value: Record<K, number> } | { ok: false; message: string } {
  const value = {} as Record<K, number>;
  for (const name of names) {
    const raw = cell(name);
    const parsed = raw === "" ? 0 : Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0) return { ok: false, message: `${name} is not a count: "${raw}"` };
    value[name] = parsed;
  }
  return { ok: true, value };
}
