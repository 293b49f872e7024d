/**
 * Contract of the supercriticality detector (implementation: `detect/`).
 * Pure: no I/O, no clock, no randomness. Its state is plain JSON data that
 * the engine persists with the operation, so a restart keeps the evidence.
 */

/** Detector parameters, from the plan's `supercriticality` guard. */
export interface DetectorConfig {
  /** `sequential`: the anytime-valid test; `ratio`: the seed's literal rule (documented as such). */
  readonly mode: "sequential" | "ratio";
  /** Alarm when a node's rate is credibly above `ratio × reference` ... */
  readonly ratio: number;
  /** ... and above `reference + minDelta` (absolute, as a fraction: 0.005 = 0.5 points). */
  readonly minDelta: number;
  /** Probability of a false halt per operation, however often it is evaluated. */
  readonly alpha: number;
  /** Window over which the reference (the fleet's current rate) is tracked. */
  readonly referenceWindowMs: number;
  /** `ratio` mode only: requests a node needs before the rule applies. */
  readonly minRequests: number;
}

/** Which side of the change a node is on. */
export type Cohort = "legacy" | "candidate";

/** One node's counters in one tick, already turned into deltas by the engine (never negative). */
export interface NodeTick {
  readonly node: string;
  readonly cohort: Cohort;
  /**
   * True for nodes the operation changed (moved traffic to, or otherwise
   * touched): tested against the fleet. False: tested against their own
   * pre-operation baseline.
   */
  readonly changed: boolean;
  readonly requests: number;
  readonly errors: number;
  /** True when the node should receive traffic (e.g. weight > 0): no requests then means *blind*. */
  readonly expectsTraffic: boolean;
}

/** A node's cumulative totals before the operation (its own baseline). */
export interface NodeBaseline {
  readonly node: string;
  readonly requests: number;
  readonly errors: number;
}

/** Evidence recorded with every breach: enough to explain the halt in one line. */
export interface Evidence {
  readonly test: "changed-node" | "cohort" | "untouched-node" | "ratio";
  /** Node name, or `cohort:candidate`. */
  readonly subject: string;
  readonly requests: number;
  readonly errors: number;
  /** errors / requests over the evidence window. */
  readonly rate: number;
  /** Conservative reference rate the subject was compared with. */
  readonly referenceRate: number;
  /** rate / referenceRate. */
  readonly observedRatio: number;
  /** Log e-value (sequential) or the ratio (ratio mode). */
  readonly score: number;
  /** Alarm threshold on `score`, e.g. ln(K/alpha). */
  readonly threshold: number;
}

/** Result of one evaluation. */
export interface Verdict {
  /** Non-empty: halt now. */
  readonly breaches: readonly Evidence[];
  /** Nodes expected to take traffic that had none for the whole blind interval so far: no evidence is not health. */
  readonly blindNodes: readonly string[];
  /**
   * Score / threshold in [0, ∞) for the subjects with evidence against them,
   * for the dashboard heat map. A subject that is absent scores 0 (listing
   * every node of a 10,000-node fleet would cost as much as the evaluation).
   */
  readonly scores: Readonly<Record<string, number>>;
}

/** Plain-data detector state (JSON-serialisable, versioned). */
export interface DetectorState {
  readonly version: 1;
  readonly data: unknown;
}

/** The detector's functions, implemented in `detect/detector.ts`. */
export interface DetectorApi {
  /** Fresh state; `baselines` are untouched nodes' pre-operation totals. */
  init(config: DetectorConfig, baselines: readonly NodeBaseline[]): DetectorState;
  /** Feed one tick; returns the new state and the verdict. */
  step(
    state: DetectorState,
    config: DetectorConfig,
    atMs: number,
    nodes: readonly NodeTick[],
  ): { state: DetectorState; verdict: Verdict };
  /** Nodes already divergent before the operation (for preflight), from their baselines. */
  preflight(config: DetectorConfig, baselines: readonly NodeBaseline[]): readonly Evidence[];
}
