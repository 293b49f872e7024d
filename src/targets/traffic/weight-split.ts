/**
 * Turning "the candidate set gets p% of the traffic" into integer server
 * weights. Pure.
 */
import type { TargetResult } from "../target.ts";
import type { ServerStat } from "./router-driver.ts";
import { type ServerPatterns, serversOf } from "./server-sets.ts";

/** Integer totals of the two sets whose ratio is closest to the wanted share. */
export interface SplitTotals {
  readonly candidateTotal: number;
  readonly legacyTotal: number;
}

const TOLERANCE = 1e-12;

/**
 * The integer totals (candidate, legacy) whose candidate share is closest
 * to `candidatePercent`, with each set's total at most `servers × fullWeight`
 * and at least 1 for a set whose share is above 0. Among equally exact
 * totals the largest win (finer spreading). Requires a server in every set
 * whose share is above 0 (callers check).
 */
export function splitTotals(
  candidatePercent: number,
  candidateServers: number,
  legacyServers: number,
  fullWeight: number,
): SplitTotals {
  if (candidatePercent <= 0) return { candidateTotal: 0, legacyTotal: legacyServers * fullWeight };
  if (candidatePercent >= 100) return { candidateTotal: candidateServers * fullWeight, legacyTotal: 0 };
  const share = candidatePercent / 100;
  const maxLegacy = legacyServers * fullWeight;
  let best: SplitTotals = { candidateTotal: 1, legacyTotal: 1 };
  let bestError = Number.POSITIVE_INFINITY;
  for (let candidateTotal = 1; candidateTotal <= candidateServers * fullWeight; candidateTotal += 1) {
    const ideal = (candidateTotal * (1 - share)) / share;
    for (const rounded of [Math.floor(ideal), Math.ceil(ideal)]) {
      const legacyTotal = Math.min(maxLegacy, Math.max(1, rounded));
      const error = Math.abs(candidateTotal / (candidateTotal + legacyTotal) - share);
      const total = candidateTotal + legacyTotal;
      const better =
        error < bestError - TOLERANCE ||
        (error <= bestError + TOLERANCE && total > best.candidateTotal + best.legacyTotal);
      if (better) {
        best = { candidateTotal, legacyTotal };
        bestError = error;
      }
    }
  }
  return best;
}

/** Spreads `total` over `names` as evenly as integers allow; the first names (in the given order) get the extra 1s. */
export function spreadTotal(total: number, names: readonly string[]): Map<string, number> {
  const weights = new Map<string, number>();
  if (names.length === 0) return weights;
  const base = Math.floor(total / names.length);
  const extra = total - base * names.length;
  names.forEach((name, index) => {
    weights.set(name, base + (index < extra ? 1 : 0));
  });
  return weights;
}

/**
 * The weight of every `ready` legacy and candidate server so that the
 * candidate set gets `candidatePercent` of new requests and the legacy set
 * the rest, each spread evenly over its ready servers; no weight exceeds
 * `fullWeight`. Servers in `drain` or `maint`, and servers of neither set,
 * are not in the result (their weights are left alone). A set with a share
 * above 0 and no ready server is a non-retryable `no-ready-servers` failure.
 */
export function computeWeights(
  candidatePercent: number,
  servers: readonly ServerStat[],
  patterns: ServerPatterns,
  fullWeight: number,
): TargetResult<ReadonlyMap<string, number>> {
  const candidates = serversOf(servers, "candidate", patterns, ["ready"]).map((server) => server.name);
  const legacy = serversOf(servers, "legacy", patterns, ["ready"]).map((server) => server.name);
  const empty =
    candidatePercent > 0 && candidates.length === 0
      ? { set: "candidate", pattern: patterns.candidate, sharePercent: candidatePercent }
      : candidatePercent < 100 && legacy.length === 0
        ? { set: "legacy", pattern: patterns.legacy, sharePercent: 100 - candidatePercent }
        : undefined;
  if (empty !== undefined) {
    return {
      ok: false,
      code: "no-ready-servers",
      message: `no ready ${empty.set} server (${empty.pattern}) can take the set's ${empty.sharePercent}% share`,
      retryable: false,
    };
  }
  const totals = splitTotals(candidatePercent, candidates.length, legacy.length, fullWeight);
  return {
    ok: true,
    value: new Map([...spreadTotal(totals.candidateTotal, candidates), ...spreadTotal(totals.legacyTotal, legacy)]),
  };
}
