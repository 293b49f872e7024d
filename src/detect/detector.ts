/**
 * The supercriticality detector (`DetectorApi`). Pure: no I/O, clock or
 * randomness; `step` never mutates the state it is given and returns a new
 * one; states are plain JSON and behave identically after a JSON round trip.
 * The math is in docs/detector.md; the kernels are `sequential-detector.ts`
 * and `ratio-rule.ts`.
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

/** Merges duplicate node entries of one tick and lists the nodes not yet registered. */
function collect(data: DetectorData, nodes: readonly NodeTick[]): { input: TickInput; names: string[] } {
  const known = nodeIndex(data.registry);
  const fresh = new Map<string, NodeTick>();
  for (const tick of nodes) if (!known.has(tick.node) && !fresh.has(tick.node)) fresh.set(tick.node, tick);
  const newNames = [...fresh.keys()];
  if (data.mode === "ratio") addRatioNodes(data, newNames);
  else {
    addSequentialNodes(
      data,
      newNames.filter((name) => fresh.get(name)?.changed !== true),
      false,
    );
    addSequentialNodes(
      data,
      newNames.filter((name) => fresh.get(name)?.changed === true),
      true,
    );
  }
  const index = nodeIndex(data.registry);
  const position = new Map<number, number>();
  const input = {
    count: 0,
    index: [] as number[],
    requests: [] as number[],
    errors: [] as number[],
    changed: [] as number[],
    candidate: [] as number[],
    expectsTraffic: [] as number[],
  };
  const names: string[] = [];
  for (const tick of nodes) {
    const i = index.get(tick.node) ?? -1;
    const requests = cleanCount(tick.requests);
    const errors = Math.min(requests, cleanCount(tick.errors));
    const k = position.get(i);
    if (k !== undefined) {
      input.requests[k] = (input.requests[k] ?? 0) + requests;
      input.errors[k] = (input.errors[k] ?? 0) + errors;
      continue;
    }
    position.set(i, input.count);
    input.index.push(i);
    input.requests.push(requests);
    input.errors.push(errors);
    input.changed.push(tick.changed ? 1 : 0);
    input.candidate.push(tick.cohort === "candidate" ? 1 : 0);
    input.expectsTraffic.push(tick.expectsTraffic ? 1 : 0);
    names.push(tick.node);
    input.count += 1;
  }
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
    const perEntry: number[] = new Array<number>(input.count).fill(0);
    const outcome =
      data.mode === "ratio"
        ? advanceRatio(data, config, atMs, input, perEntry)
        : advanceSequential(data, config, atMs, input, perEntry);
    const scores: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) scores[names[k] ?? ""] = perEntry[k] ?? 0;
    if (outcome.cohortScore >= 0) scores["cohort:candidate"] = outcome.cohortScore;
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
