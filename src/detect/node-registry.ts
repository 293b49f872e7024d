/**
 * Node bookkeeping shared by both modes: names ↔ indices and blind-node
 * tracking. Plain arrays (JSON), mutated in place by a step
 * that works on a copy.
 *
 * Blind rule: a node that expects traffic is blind once it has had no request
 * for at least 2 consecutive ticks during which the nodes expecting traffic
 * averaged 10 requests or more in total — a node with its fair share would have
 * had one with probability > 99.99%, and one with a third of it with ~96%.
 * Any request, or not expecting traffic, clears it. Absent nodes are left alone
 * (a missing vector entry is the engine's failure, not the detector's).
 */

/** Registry data, JSON-plain. */
export interface NodeRegistry {
  /** Index → name. Replaced (not mutated) when a node is added, so it can key caches. */
  nodes: string[];
  readonly silentTicks: number[];
  readonly silentExpectedRequests: number[];
}

/** Silent ticks needed before a node can be blind. */
export const BLIND_MIN_TICKS = 2;
/** Fleet-average requests a node must have missed before it is blind. */
export const BLIND_EXPECTED_REQUESTS = 10;

/** Empty registry. */
export function createRegistry(): NodeRegistry {
  return { nodes: [], silentTicks: [], silentExpectedRequests: [] };
}

/** Copy with fresh mutable arrays (`nodes` is shared: it is replaced, never mutated). */
export function cloneRegistry(registry: NodeRegistry): NodeRegistry {
  return {
    nodes: registry.nodes,
    silentTicks: registry.silentTicks.slice(),
    silentExpectedRequests: registry.silentExpectedRequests.slice(),
  };
}

/** Appends nodes (in place; `nodes` becomes a new array, once per call). */
export function addNodes(registry: NodeRegistry, names: readonly string[]): void {
  if (names.length === 0) return;
  registry.nodes = registry.nodes.concat(names);
  for (let k = 0; k < names.length; k++) {
    registry.silentTicks.push(0);
    registry.silentExpectedRequests.push(0);
  }
}

const indexCache = new WeakMap<readonly string[], Map<string, number>>();

/** Name → index map of a registry (memoised on the identity of its `nodes` array). */
export function nodeIndex(registry: NodeRegistry): Map<string, number> {
  let index = indexCache.get(registry.nodes);
  if (index === undefined) {
    index = new Map();
    for (let i = 0; i < registry.nodes.length; i++) index.set(registry.nodes[i] ?? "", i);
    indexCache.set(registry.nodes, index);
  }
  return index;
}

/** Updates node i's silence (in place) and returns true when it is blind. */
export function trackSilence(
  registry: NodeRegistry,
  i: number,
  requests: number,
  expectsTraffic: boolean,
  fleetMeanRequests: number,
): boolean {
  if (requests > 0 || !expectsTraffic) {
    registry.silentTicks[i] = 0;
    registry.silentExpectedRequests[i] = 0;
    return false;
  }
  const ticks = (registry.silentTicks[i] ?? 0) + 1;
  const expected = (registry.silentExpectedRequests[i] ?? 0) + fleetMeanRequests;
  registry.silentTicks[i] = ticks;
  registry.silentExpectedRequests[i] = expected;
  return ticks >= BLIND_MIN_TICKS && expected >= BLIND_EXPECTED_REQUESTS;
}
