/**
 * Turns raw tallies into the results file of issue 3 and a printed table:
 * rates, Clopper–Pearson upper bounds, and quantiles of detection delays.
 */

import type { Scenario } from "./scenarios.ts";
import type { Tally } from "./simulate.ts";

/** Scenarios whose halts are all false (the false-halt goals). */
export const FALSE_HALT_SCENARIOS = ["healthy", "burst", "fleet-blip", "bad-legacy"];

function logGamma(x: number): number {
  const g = [
    676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
    -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = 0.9999999999998099;
  for (let i = 0; i < g.length; i++) a += (g[i] ?? 0) / (z + i + 1);
  const t = z + g.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function binomialCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += Math.exp(
      logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p),
    );
  }
  return Math.min(1, sum);
}

/** Upper end of the two-sided 95% Clopper–Pearson interval for k successes in n trials. */
export function clopperPearsonUpper(k: number, n: number): number {
  if (n === 0 || k >= n) return 1;
  let lo = k / n;
  let hi = 1;
  for (let step = 0; step < 60; step++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(k, n, mid) > 0.025) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Nearest-rank quantile of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** One scenario's figures for one detector. */
export interface ScenarioFigures {
  readonly operations: number;
  readonly alpha: number | null;
  readonly detectionRate: number | null;
  readonly falseHaltRate: number;
  readonly falseHaltUpper95: number;
  readonly detectedWithin5MinRate: number | null;
  readonly requestsToDetect: { readonly median: number; readonly p95: number; readonly p99: number } | null;
  readonly secondsToDetect: { readonly median: number; readonly p99: number } | null;
}

/** One detector's figures. */
export interface DetectorFigures {
  falseHaltRate: number;
  falseHaltUpper95AtAlpha01: number;
  readonly scenarios: Record<string, ScenarioFigures>;
}

function figures(tally: Tally, alpha: number | null, detecting: boolean): ScenarioFigures {
  const n = tally.operations;
  const detected = tally.requestsToDetect.length > 0;
  return {
    operations: n,
    alpha,
    detectionRate: detecting ? tally.detections / n : null,
    falseHaltRate: tally.falseHalts / n,
    falseHaltUpper95: clopperPearsonUpper(tally.falseHalts, n),
    detectedWithin5MinRate: detecting ? tally.detectedWithin5Min / n : null,
    requestsToDetect: detected
      ? {
          median: quantile(tally.requestsToDetect, 0.5),
          p95: quantile(tally.requestsToDetect, 0.95),
          p99: quantile(tally.requestsToDetect, 0.99),
        }
      : null,
    secondsToDetect: detected
      ? { median: quantile(tally.secondsToDetect, 0.5), p99: quantile(tally.secondsToDetect, 0.99) }
      : null,
  };
}

/** Raw tallies of every scenario, keyed by scenario key then contender name. */
export type RawResults = Map<string, Record<string, Tally>>;

/** The `detectors` object of the results file. */
export function detectorFigures(list: readonly Scenario[], raw: RawResults): Record<string, DetectorFigures> {
  const out: Record<string, DetectorFigures> = {};
  const entry = (name: string): DetectorFigures => {
    out[name] ??= { falseHaltRate: 0, falseHaltUpper95AtAlpha01: 0, scenarios: {} };
    return out[name];
  };
  for (const scenario of list) {
    const tallies = raw.get(scenario.key) ?? {};
    const detecting = scenario.fault.kind !== "none";
    const falseHaltScenario = FALSE_HALT_SCENARIOS.includes(scenario.name);
    for (const [contender, tally] of Object.entries(tallies)) {
      const [name, alphaText] = contender.split("@");
      const alphas = alphaText === undefined ? scenario.alphas : [Number(alphaText)];
      for (const alpha of alphas) {
        const key = detecting ? scenario.key : `${scenario.key}/alpha=${alpha}`;
        const f = figures(tally, alphaText === undefined ? null : alpha, detecting);
        const detector = entry(name ?? contender);
        detector.scenarios[key] = f;
        if (!falseHaltScenario) continue;
        if (alpha === 0.001) detector.falseHaltRate = Math.max(detector.falseHaltRate, f.falseHaltRate);
        if (alpha === 0.01)
          detector.falseHaltUpper95AtAlpha01 = Math.max(detector.falseHaltUpper95AtAlpha01, f.falseHaltUpper95);
      }
    }
  }
  return out;
}

function cell(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "-";
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** Markdown table: one row per scenario and detector. */
export function table(detectors: Record<string, DetectorFigures>): string {
  const rows = [
    "| scenario | detector | ops | false halts | CP95 upper | detected | req. median / p95 / p99 | s median / p99 |",
    "|---|---|---|---|---|---|---|---|",
  ];
  const keys = [...new Set(Object.values(detectors).flatMap((d) => Object.keys(d.scenarios)))];
  for (const key of keys) {
    for (const [name, d] of Object.entries(detectors)) {
      const f = d.scenarios[key];
      if (f === undefined) continue;
      const r = f.requestsToDetect;
      const s = f.secondsToDetect;
      rows.push(
        `| ${key} | ${name} | ${f.operations} | ${cell(f.falseHaltRate)} | ${cell(f.falseHaltUpper95)} | ${cell(f.detectionRate)} | ${r === null ? "-" : `${r.median} / ${r.p95} / ${r.p99}`} | ${s === null ? "-" : `${s.median} / ${s.p99}`} |`,
      );
    }
  }
  return rows.join("\n");
}
