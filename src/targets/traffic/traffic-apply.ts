/**
 * Applying one traffic action: read the router, refuse to overwrite drift,
 * act (weights, admin states, per-node hooks), read back and verify.
 * Idempotent: every step converges on the action's end state, and hooks get
 * the same per-node key on every retry.
 */
import type { ActionRequest, Observation, TargetResult } from "../target.ts";
import { type ApplyMemo, actionInPlace, type MatchContext } from "./action-match.ts";
import { runNodeHook } from "./node-hook.ts";
import type { AdminState, RouterDriver, ServerStat } from "./router-driver.ts";
import type { RouterLedger } from "./router-ledger.ts";
import { nodeRef, readSnapshot, summarise } from "./router-snapshot.ts";
import { restoreSelection, selectServers } from "./server-sets.ts";
import {
  DEFAULT_NODE_TIMEOUT_MS,
  type HookName,
  parseTrafficAction,
  type TrafficAction,
  type TrafficConfig,
} from "./traffic-config.ts";
import { computeWeights } from "./weight-split.ts";

/** The live parts one target instance shares between apply, observe and its sensors. */
export interface TrafficRuntime {
  readonly driver: RouterDriver;
  readonly config: TrafficConfig;
  readonly ledger: RouterLedger;
  /** Per idempotency key: what the apply acted on and whether its hooks finished. */
  readonly memos: Map<string, ApplyMemo>;
  /** Working directory of command hooks. */
  readonly cwd: string;
}

function fail(code: string, message: string, retryable: boolean): TargetResult<never> {
  return { ok: false, code, message, retryable };
}

/** The comparison context for an action applied under `key`. */
export function matchContext(runtime: TrafficRuntime, key: string | undefined): MatchContext {
  const memo = key === undefined ? undefined : runtime.memos.get(key);
  return {
    patterns: runtime.config,
    fullWeight: runtime.config.fullWeight,
    terminateHook: runtime.config.hooks?.terminate !== undefined,
    ...(memo === undefined ? {} : { memo }),
  };
}

/** Applies `request`. See the module doc. */
export async function applyTrafficAction(
  runtime: TrafficRuntime,
  request: ActionRequest,
): Promise<TargetResult<Observation | undefined>> {
  const parsed = parseTrafficAction(request.action.type, request.action.params);
  if (!parsed.ok) return fail("invalid-action", parsed.message, false);
  if (request.signal.aborted) return fail("aborted", "apply aborted before it started", true);
  const before = await readSnapshot(runtime.driver, request.signal);
  if (!before.ok) return before;
  const drift = runtime.ledger.drift(before.value.servers, before.value.info);
  if (drift !== undefined) {
    if (!request.rollback && !runtime.ledger.mayOverwrite(drift)) {
      return fail("drift", `${drift}; not overwritten (resume to let Airlock set its state again)`, false);
    }
    runtime.ledger.adopt(before.value.servers, before.value.info);
  }
  const done = await perform(runtime, parsed.value, before.value.servers, request);
  if (!done.ok) return done;
  runtime.memos.set(request.idempotencyKey, done.value);
  const after = await readSnapshot(runtime.driver, request.signal);
  if (!after.ok) return after;
  const inPlace = actionInPlace(parsed.value, after.value.servers, matchContext(runtime, request.idempotencyKey));
  if (inPlace !== true) {
    return fail("readback", `the router does not show the ${parsed.value.type} action after applying it`, true);
  }
  const observation: Observation = {
    observedAtMs: Date.now(),
    state: summarise(after.value, runtime.config),
    matches: true,
  };
  // On the rollback track drift is recorded, never a reason to stop.
  return { ok: true, value: drift === undefined || !request.rollback ? observation : { ...observation, drift } };
}

async function perform(
  runtime: TrafficRuntime,
  action: TrafficAction,
  servers: readonly ServerStat[],
  request: ActionRequest,
): Promise<TargetResult<ApplyMemo>> {
  const { config } = runtime;
  const step = new Steps(runtime, servers, request);
  switch (action.type) {
    case "weight":
      return step.done([], await step.weights(action.candidatePercent, servers));
    case "drain": {
      const names = selectServers(action, servers, config);
      if (!names.ok) return names;
      return step.done(names.value, await step.states(names.value, "drain"));
    }
    case "quiesce": {
      const names = selectServers(action, servers, config);
      if (!names.ok) return names;
      if (config.hooks?.quiesce === undefined) {
        return fail("no-hook", "quiesce needs hooks.quiesce in the target config", false);
      }
      return step.done(names.value, await step.hooks("quiesce", names.value));
    }
    case "retire": {
      const names = selectServers(action, servers, config);
      if (!names.ok) return names;
      const maint = await step.states(names.value, "maint");
      if (!maint.ok) return maint;
      return step.done(names.value, await step.hooks("terminate", names.value));
    }
    case "provision": {
      const known = new Set(servers.map((server) => server.name));
      const unknown = action.servers.find((name) => !known.has(name));
      if (unknown !== undefined) return fail("unknown-server", `provision: the router has no server ${unknown}`, false);
      const hooks = await step.hooks("provision", action.servers);
      if (!hooks.ok) return hooks;
      return step.done(action.servers, await step.states(action.servers, "ready"));
    }
    case "restore-legacy":
      return restoreLegacy(step, action, servers, runtime.config);
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

/** Retired (`maint`) servers need the provision hook; then every named server is `ready` at the split. */
async function restoreLegacy(
  step: Steps,
  action: Extract<TrafficAction, { type: "restore-legacy" }>,
  servers: readonly ServerStat[],
  config: TrafficConfig,
): Promise<TargetResult<ApplyMemo>> {
  const names = restoreSelection(action.servers, servers, config);
  if (!names.ok) return names;
  const retired = servers.filter((server) => names.value.includes(server.name) && server.adminState === "maint");
  if (retired.length > 0 && config.hooks?.provision === undefined) {
    const list = retired.map((server) => server.name).join(", ");
    return fail("no-hook", `cannot restore retired servers ${list}: no provision hook is configured`, false);
  }
  const hooks = await step.hooks(
    "provision",
    retired.map((server) => server.name),
  );
  if (!hooks.ok) return hooks;
  const ready = await step.states(names.value, "ready");
  if (!ready.ok) return ready;
  const restored = servers.map((server) =>
    names.value.includes(server.name) ? { ...server, adminState: "ready" as const } : server,
  );
  return step.done(names.value, await step.weights(action.candidatePercent, restored));
}

/** The router calls of one apply, each recorded in the ledger once the router accepted it. */
class Steps {
  readonly #byName: ReadonlyMap<string, ServerStat>;

  constructor(
    private readonly runtime: TrafficRuntime,
    servers: readonly ServerStat[],
    private readonly request: ActionRequest,
  ) {
    this.#byName = new Map(servers.map((server) => [server.name, server]));
  }

  done(servers: readonly string[], outcome: TargetResult<void>): TargetResult<ApplyMemo> {
    return outcome.ok ? { ok: true, value: { servers, hooksDone: true } } : outcome;
  }

  /** Sets the split's weights; raises come before cuts, so the total never drops to 0 on the way. */
  async weights(candidatePercent: number, servers: readonly ServerStat[]): Promise<TargetResult<void>> {
    const { config, driver, ledger } = this.runtime;
    const wanted = computeWeights(candidatePercent, servers, config, config.fullWeight);
    if (!wanted.ok) return wanted;
    const current = new Map(servers.map((server) => [server.name, server.weight]));
    const changes = [...wanted.value].filter(([name, weight]) => current.get(name) !== weight);
    changes.sort(([a, wa], [b, wb]) => wb - (current.get(b) ?? 0) - (wa - (current.get(a) ?? 0)));
    for (const [name, weight] of changes) {
      const set = await driver.setWeight(name, weight, this.request.signal);
      if (!set.ok) return set;
      ledger.record(name, { weight });
    }
    return { ok: true, value: undefined };
  }

  async states(names: readonly string[], state: AdminState): Promise<TargetResult<void>> {
    for (const name of names) {
      if (this.#byName.get(name)?.adminState === state) continue;
      const set = await this.runtime.driver.setState(name, state, this.request.signal);
      if (!set.ok) return set;
      this.runtime.ledger.record(name, { adminState: state });
    }
    return { ok: true, value: undefined };
  }

  /** Runs the hook per node, in name order, stopping at the first failure; no hook configured: nothing to run. */
  async hooks(hookName: HookName, names: readonly string[]): Promise<TargetResult<void>> {
    const { config, cwd } = this.runtime;
    const hook = config.hooks?.[hookName];
    if (hook === undefined) return { ok: true, value: undefined };
    for (const name of names) {
      const server = this.#byName.get(name);
      if (server === undefined) return fail("unknown-server", `${hookName}: the router has no server ${name}`, false);
      const node = nodeRef(server, config.addresses);
      if (!node.ok) return node;
      const ran = await runNodeHook({
        hookName,
        hook,
        node: node.value,
        request: this.request,
        cwd,
        timeoutMs: config.timeoutMs ?? DEFAULT_NODE_TIMEOUT_MS,
        signal: this.request.signal,
      });
      if (!ran.ok) return ran;
    }
    return { ok: true, value: undefined };
  }
}
