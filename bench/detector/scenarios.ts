/**
 * The scenarios of issue 3, as data. Common setting: an operation lasts 30 min,
 * evaluated every 1 s; each node averages `requestsPerSecond` with a per-node
 * log-normal multiplier (sd 0.5) and Poisson arrivals; a healthy node's error
 * rate is drawn per operation from a Beta (mean 2%, sd 1%) and each minute's
 * rate from a Beta around it (sd half of it). The first ⌊N/2⌋ nodes are legacy
 * (untouched, with a one-hour pre-operation baseline), the rest candidates
 * (changed, no baseline). Every node is monitored.
 */

/** What is wrong in a scenario, if anything. */
export type Fault =
  | { readonly kind: "none" }
  /** `count` candidates fail at `rate` from the first tick. */
  | { readonly kind: "bad-candidates"; readonly count: number; readonly rate: number }
  /** Every candidate fails at `rate` from the first tick. */
  | { readonly kind: "cohort"; readonly rate: number }
  /** The first legacy node fails at `rate` after serving `afterRequests` during the operation. */
  | { readonly kind: "turns-bad"; readonly afterRequests: number; readonly rate: number };

/** One scenario at one fleet size. */
export interface Scenario {
  /** Key in the results, e.g. `healthy/n=100`. */
  readonly key: string;
  readonly name: string;
  readonly fleet: number;
  readonly operations: number;
  /** Alphas Airlock runs at (peers have none). */
  readonly alphas: readonly number[];
  readonly requestsPerSecond: number;
  /** Each node: 1%-per-minute chance of a 10 s burst at 20% errors. */
  readonly bursts: boolean;
  /** Every node at 15% for 30 s, at a uniformly random time. */
  readonly blip: boolean;
  /** Error rate of the first legacy node since before the operation (bad-legacy), or 0. */
  readonly badLegacyRate: number;
  readonly fault: Fault;
}

/** Operation length in 1 s ticks. */
export const OPERATION_TICKS = 1800;
/** Pre-operation baseline length for legacy nodes, in seconds. */
export const BASELINE_SECONDS = 3600;
/** Alphas of the false-halt scenarios, and the default one used for detection. */
export const FALSE_HALT_ALPHAS = [0.01, 0.001] as const;
export const DETECTION_ALPHA = 0.001;

const NONE: Fault = { kind: "none" };

function scenario(name: string, fleet: number, operations: number, extra: Partial<Scenario> = {}): Scenario {
  return {
    key: `${name}/n=${fleet}`,
    name,
    fleet,
    operations,
    alphas: extra.fault === undefined || extra.fault.kind === "none" ? FALSE_HALT_ALPHAS : [DETECTION_ALPHA],
    requestsPerSecond: 10,
    bursts: false,
    blip: false,
    badLegacyRate: 0,
    fault: NONE,
    ...extra,
  };
}

/** All scenarios; `scale` < 1 shrinks operation counts (quick runs), never below 2. */
export function scenarios(scale = 1): Scenario[] {
  const ops = (n: number): number => Math.max(2, Math.round(n * scale));
  const fleetOnly = scale < 0.1 ? [20, 100] : [20, 100, 1000];
  const list: Scenario[] = [
    scenario("healthy", 20, ops(10_000)),
    scenario("healthy", 100, ops(10_000)),
    scenario("healthy", 1000, ops(1000)),
  ];
  for (const fleet of fleetOnly) {
    const count = fleet === 1000 ? ops(300) : ops(3000);
    list.push(scenario("burst", fleet, count, { bursts: true }));
    list.push(scenario("fleet-blip", fleet, count, { blip: true }));
    list.push(scenario("bad-legacy", fleet, count, { badLegacyRate: 0.08 }));
  }
  list.push(
    scenario("one-bad", 20, ops(3000), { fault: { kind: "bad-candidates", count: 1, rate: 0.5 } }),
    scenario("three-of-ten", 10, ops(3000), { fault: { kind: "bad-candidates", count: 3, rate: 0.5 } }),
    scenario("cohort", 20, ops(3000), { fault: { kind: "cohort", rate: 0.08 } }),
    scenario("turns-bad", 20, ops(3000), { fault: { kind: "turns-bad", afterRequests: 2000, rate: 0.5 } }),
    scenario("low-traffic", 20, ops(3000), {
      requestsPerSecond: 1,
      fault: { kind: "bad-candidates", count: 1, rate: 0.5 },
    }),
  );
  return list;
}
