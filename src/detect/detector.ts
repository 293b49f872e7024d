/**
 * The supercriticality detector (`DetectorApi`). Pure: no I/O, clock or
 * randomness; `step` never mutates the state it is given and returns a new
 * one; states are plain JSON and behave identically after a JSON round trip.
 * The math is in docs/detector.md; the kernels are `sequential-detector.ts`
 * and `ratio-rule.ts`. `verdict.scores` lists the subjects whose score is
 * above 0 (a node or the cohort absent from it scores 0).
 */
import { nodeIndex } from "./node-registry.ts";
import { divergentBaselines } from "./preflight.ts";
import { addRatioNodes, advanceRatio, cloneRatioData, createRatioData, type RatioData } from "./ratio-rule.ts";
import { addSequentialNodes, advanceSequential, registerBaselines } from "./sequential-detector.ts";
import { cloneSequentialData, createSequentialData, type SequentialData } from "./sequential-state.ts";
import { cleanCount, type TickInput } from "./tick-input.ts";
import type { DetectorApi, DetectorConfig, DetectorState, NodeBaseline, NodeTick, Verdict } from "./types.ts";

type DetectorData = SequentialData | RatioData;

function dataOf(state: DetectorState, config: DetectorConfig): DetectorData {
  const data = state.data;
  if (state.version !== 1 || typeof data !== "object" || data === null || !("mode" in data) || !("registry" in data)) {
    throw new Error("detector state is not a version-1 detector state");
  }
  if (data.mode !== config.mode)
    throw new Error(`detector state is for mode ${String(data.mode)}, config says ${config.mode}`);
  return data as DetectorData;
}

/** Reusable column buffers (a step is synchronous, so one set serves every call). */
const scratch = {
  capacity: 0,
  index: new Int32Array(0),
  requests: new Float64Array(0),
  errors: new Float64Array(0),
  changed: new Uint8Array(0),
  candidate: new Uint8Array(0),
  expectsTraffic: new Uint8Array(0),
  scores: new Float64Array(0),
  /** Node index of each entry (−1: not registered before this tick). */
  lookup: new Int32Array(0),
  /** Position of node i in this tick's input, valid when stamp[i] === stampNow. */
  position: new Int32Array(0),
  stamp: new Uint32Array(0),
  stampNow: 0,
};

function reserve(entries: number, nodes: number): void {
  if (scratch.capacity < entries) {
    const size = Math.max(entries, scratch.capacity * 2);
    scratch.capacity = size;
    scratch.index = new Int32Array(size);
    scratch.requests = new Float64Array(size);
    scratch.errors = new Float64Array(size);
    scratch.changed = new Uint8Array(size);
    scratch.candidate = new Uint8Array(size);
    scratch.expectsTraffic = new Uint8Array(size);
    scratch.scores = new Float64Array(size);
    scratch.lookup = new Int32Array(size);
  }
  if (scratch.stamp.length < nodes) {
    const size = Math.max(nodes, scratch.stamp.length * 2);
    scratch.position = new Int32Array(size);
    scratch.stamp = new Uint32Array(size);
    scratch.stampNow = 0;
  }
  scratch.stampNow = (scratch.stampNow + 1) >>> 0 || 1;
}

/** Registers unknown nodes, merges duplicate entries of one tick, and fills the scratch columns. */
function collect(data: DetectorData, nodes: readonly NodeTick[]): { input: TickInput; names: string[] } {
  const known = nodeIndex(data.registry);
  reserve(nodes.length, data.registry.nodes.length + nodes.length);
  const lookup = scratch.lookup;
  let fresh: Map<string, boolean> | undefined;
  for (let k = 0; k < nodes.length; k++) {
    const tick = nodes[k] as NodeTick;
    const i = known.get(tick.node);
    lookup[k] = i ?? -1;
    if (i !== undefined) continue;
    fresh ??= new Map();
    if (!fresh.has(tick.node)) fresh.set(tick.node, tick.changed);
  }
  if (fresh !== undefined) {
    const names = [...fresh.keys()];
    if (data.mode === "ratio") addRatioNodes(data, names);
    else {
      addSequentialNodes(
        data,
        names.filter((name) => fresh?.get(name) !== true),
        false,
      );
      addSequentialNodes(
        data,
        names.filter((name) => fresh?.get(name) === true),
        true,
      );
    }
  }
  const index = nodeIndex(data.registry);
  const { position, stamp, stampNow } = scratch;
  const names: string[] = [];
  let count = 0;
  for (let k = 0; k < nodes.length; k++) {
    const tick = nodes[k] as NodeTick;
    const i = (lookup[k] ?? -1) >= 0 ? (lookup[k] ?? 0) : (index.get(tick.node) ?? 0);
    const requests = cleanCount(tick.requests);
    const errors = Math.min(requests, cleanCount(tick.errors));
    if (stamp[i] === stampNow) {
      const k = position[i] ?? 0;
      scratch.requests[k] = (scratch.requests[k] ?? 0) + requests;
      scratch.errors[k] = (scratch.errors[k] ?? 0) + errors;
      continue;
    }
    stamp[i] = stampNow;
    position[i] = count;
    scratch.index[count] = i;
    scratch.requests[count] = requests;
    scratch.errors[count] = errors;
    scratch.changed[count] = tick.changed ? 1 : 0;
    scratch.candidate[count] = tick.cohort === "candidate" ? 1 : 0;
    scratch.expectsTraffic[count] = tick.expectsTraffic ? 1 : 0;
    names.push(tick.node);
    count++;
  }
  const input: TickInput = {
    count,
    index: scratch.index,
    requests: scratch.requests,
    errors: scratch.errors,
    changed: scratch.changed,
    candidate: scratch.candidate,
    expectsTraffic: scratch.expectsTraffic,
  };
  return { input, names };
}

/** The detector used by the engine's supercriticality guard. */
export const detector: DetectorApi = {
  init(config: DetectorConfig, baselines: readonly NodeBaseline[]): DetectorState {
    if (config.mode === "ratio") {
      const data = createRatioData();
      addRatioNodes(data, [...new Set(baselines.map((b) => b.node))]);
      return { version: 1, data };
    }
    let requests = 0;
    let errors = 0;
    const unique = new Map<string, NodeBaseline>();
    for (const b of baselines) if (!unique.has(b.node)) unique.set(b.node, b);
    for (const b of unique.values()) {
      const n = cleanCount(b.requests);
      requests += n;
      errors += Math.min(n, cleanCount(b.errors));
    }
    const data = createSequentialData(requests, errors);
    registerBaselines(data, config, [...unique.values()]);
    return { version: 1, data };
  },

  step(state: DetectorState, config: DetectorConfig, atMs: number, nodes: readonly NodeTick[]) {
    const old = dataOf(state, config);
    const data = old.mode === "ratio" ? cloneRatioData(old) : cloneSequentialData(old);
    const { input, names } = collect(data, nodes);
    const perEntry = scratch.scores.fill(0, 0, input.count);
    const outcome =
      data.mode === "ratio"
        ? advanceRatio(data, config, atMs, input, perEntry)
        : advanceSequential(data, config, atMs, input, perEntry);
    const scores: Record<string, number> = {};
    // Sparse: a record of 10,000 keys would cost more than the whole evaluation; absent means 0.
    for (let k = 0; k < names.length; k++) if ((perEntry[k] ?? 0) > 0) scores[names[k] ?? ""] = perEntry[k] ?? 0;
    if (outcome.cohortScore > 0) scores["cohort:candidate"] = outcome.cohortScore;
    const verdict: Verdict = {
      breaches: outcome.breaches,
      blindNodes: outcome.blind.map((i) => data.registry.nodes[i] ?? ""),
      scores,
    };
    return { state: { version: 1, data }, verdict };
  },

  preflight(config: DetectorConfig, baselines: readonly NodeBaseline[]) {
    return divergentBaselines(config, baselines);
  },
};
