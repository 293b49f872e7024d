/**
 * The simulated traffic target: the real traffic target (`createTrafficTarget`:
 * weights, admin states, read-back, drift) over {@link SimRouterDriver}, with
 * the parts that would leave the process done in the world instead: per-node
 * hooks (quiesce, terminate, provision) act on simulated nodes, and the
 * `target.*` sensors read the world (see `sim-target-sensors.ts`).
 */
import type { ActionRequest, Observation, Target, TargetResult } from "../targets/target.ts";
import { restoreSelection, selectServers } from "../targets/traffic/server-sets.ts";
import { parseTrafficAction, type TrafficAction, type TrafficConfig } from "../targets/traffic/traffic-config.ts";
import { createTrafficTarget } from "../targets/traffic/traffic-target.ts";
import type { SimFleet } from "./sim-fleet.ts";
import { SimRouterDriver } from "./sim-router-driver.ts";
import { simTargetSensors } from "./sim-target-sensors.ts";

/** A simulated target and the world facts the simulator reports. */
export interface SimTarget extends Target {
  /** World time of the last apply: `displaced` counts work from before it. */
  readonly lastMarkMs: () => number;
}

function fail(code: string, message: string): TargetResult<never> {
  return { ok: false, code, message, retryable: false };
}

/** Builds the target over `fleet`. `terminationGraceMs`: how long a retired node may finish its work before it is stopped. */
export function createSimTarget(config: TrafficConfig, fleet: SimFleet, terminationGraceMs: number): SimTarget {
  const driver = new SimRouterDriver(fleet, fleet.nowMs);
  const { hooks: _hooks, drainReport: _report, ...routerOnly } = config;
  const base = createTrafficTarget(routerOnly, driver, ".");
  let markMs = fleet.nowMs;
  const nodes = (names: readonly string[]): number[] =>
    names.map((name) => fleet.index.get(name)).filter((i): i is number => i !== undefined);

  async function apply(request: ActionRequest): Promise<TargetResult<Observation | undefined>> {
    const parsed = parseTrafficAction(request.action.type, request.action.params);
    if (!parsed.ok) return fail("invalid-action", parsed.message);
    const action: TrafficAction = parsed.value;
    const servers = driver.list();
    fleet.mark();
    markMs = fleet.nowMs;
    switch (action.type) {
      case "quiesce": {
        if (config.hooks?.quiesce === undefined)
          return fail("no-hook", "quiesce needs hooks.quiesce in the target config");
        const names = selectServers(action, servers, config);
        if (!names.ok) return names;
        for (const i of nodes(names.value)) fleet.quiesce(i);
        return { ok: true, value: undefined };
      }
      case "retire": {
        const names = selectServers(action, servers, config);
        if (!names.ok) return names;
        const retired = await base.apply(request);
        if (retired.ok) for (const i of nodes(names.value)) fleet.terminate(i, terminationGraceMs);
        return retired;
      }
      case "provision":
        for (const i of nodes(action.servers)) fleet.provision(i);
        return base.apply(request);
      case "restore-legacy": {
        // A retired node comes back through the (simulated) provision hook; the router
        // then sees it `ready`, which the rollback track records as drift and goes on.
        const names = restoreSelection(action.servers, servers, config);
        if (!names.ok) return names;
        for (const i of nodes(names.value)) {
          if (fleet.admin[i] !== 2) continue;
          if (config.hooks?.provision === undefined) return base.apply(request);
          fleet.provision(i);
          fleet.admin[i] = 0;
        }
        return base.apply(request);
      }
      case "weight":
      case "drain":
        return base.apply(request);
      default: {
        const unreachable: never = action;
        return unreachable;
      }
    }
  }

  const sensors = simTargetSensors(fleet, driver, config, () => markMs);
  return {
    apply,
    observe: (expected, signal) => base.observe(expected, signal),
    sensors: () => sensors,
    lastMarkMs: () => markMs,
  };
}
