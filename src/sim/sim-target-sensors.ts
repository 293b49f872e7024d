/**
 * The simulated target's sensors (`target.*`), in the shape the real traffic
 * target gives them (see `traffic-sensors.ts`): a vector over every server
 * the router lists, labelled by the same `serverLabels`, read straight from
 * the world's arrays. Labels are rebuilt only for nodes whose weight, admin
 * state or status changed, and one label map is shared by every reading
 * until one does (readings are never mutated). Two sensors differ from the
 * real ones: `displaced` counts the in-flight work that started before the
 * stage's action (the same servers `reducedServers` picks for real), and
 * `drain_report` reads each node's own report from the world.
 */
import { failedReading } from "../sensors/failed-reading.ts";
import type { NodeLabels, ReadContext, Reading, Sensor } from "../sensors/sensor.ts";
import { reducedServers } from "../targets/traffic/displaced-work.ts";
import { isUp, serverLabels } from "../targets/traffic/server-sets.ts";
import type { TrafficConfig } from "../targets/traffic/traffic-config.ts";
import type { TrafficSensorName } from "../targets/traffic/traffic-sensors.ts";
import type { SimFleet } from "./sim-fleet.ts";
import type { SimRouterDriver } from "./sim-router-driver.ts";

type Labels = Readonly<Record<string, string>>;

/** Every node's labels, rebuilt where they changed. */
class LabelCache {
  readonly #fleet: SimFleet;
  readonly #driver: SimRouterDriver;
  readonly #config: TrafficConfig;
  readonly #weight: Int32Array;
  readonly #admin: Uint8Array;
  readonly #status: string[];
  #labels: NodeLabels = {};
  #version = -1;

  constructor(fleet: SimFleet, driver: SimRouterDriver, config: TrafficConfig) {
    this.#fleet = fleet;
    this.#driver = driver;
    this.#config = config;
    this.#weight = new Int32Array(fleet.names.length).fill(-1);
    this.#admin = new Uint8Array(fleet.names.length);
    this.#status = fleet.names.map(() => "");
  }

  /** The labels of every node now. */
  all(): NodeLabels {
    const fleet = this.#fleet;
    if (this.#version === fleet.version) return this.#labels;
    this.#version = fleet.version;
    let changed: Record<string, Labels> | undefined;
    for (let i = 0; i < fleet.names.length; i += 1) {
      const status = fleet.status(i);
      if (this.#weight[i] === fleet.weight[i] && this.#admin[i] === fleet.admin[i] && this.#status[i] === status) {
        continue;
      }
      this.#weight[i] = fleet.weight[i] ?? 0;
      this.#admin[i] = fleet.admin[i] ?? 0;
      this.#status[i] = status;
      changed ??= { ...this.#labels };
      changed[fleet.names[i] ?? ""] = serverLabels(this.#driver.stat(i), this.#config);
    }
    if (changed !== undefined) this.#labels = changed;
    return this.#labels;
  }
}

/** The sensors of the simulated target. `markMs()`: world time of the last apply (`displaced` counts work from before it). */
export function simTargetSensors(
  fleet: SimFleet,
  driver: SimRouterDriver,
  config: TrafficConfig,
  markMs: () => number,
): Readonly<Record<TrafficSensorName, Sensor>> {
  const labels = new LabelCache(fleet, driver, config);
  const vector = (ctx: ReadContext, nodes: readonly number[] | undefined, value: (i: number) => number): Reading => {
    const values: Record<string, number> = {};
    const all = labels.all();
    let labelled = all;
    if (nodes === undefined) {
      for (let i = 0; i < fleet.names.length; i += 1) values[fleet.names[i] ?? ""] = value(i);
    } else {
      const some: Record<string, Labels> = {};
      for (const i of nodes) {
        const name = fleet.names[i] ?? "";
        values[name] = value(i);
        some[name] = all[name] ?? {};
      }
      labelled = some;
    }
    return { ok: true, observedAtMs: ctx.nowMs, value: { type: "vector", values, labels: labelled } };
  };
  const perNode = (value: (i: number) => number): Sensor => ({
    read: async (ctx) => vector(ctx, undefined, value),
  });

  const displaced: Sensor = {
    async read(ctx) {
      const { stageAction, stageAppliedAtMs } = ctx;
      if (stageAction === undefined || stageAppliedAtMs === undefined) return vector(ctx, undefined, () => 0);
      if (stageAppliedAtMs < markMs()) {
        return failedReading("unsupported", "the simulator only counts work displaced by the latest action", ctx.nowMs);
      }
      const reduced = reducedServers(stageAction, driver.list(), config);
      if (typeof reduced === "string") return failedReading("invalid-action", reduced, ctx.nowMs);
      return vector(ctx, undefined, (i) => (reduced.names.has(fleet.names[i] ?? "") ? (fleet.oldInflight[i] ?? 0) : 0));
    },
  };

  const drainReport: Sensor = {
    async read(ctx) {
      if (config.drainReport === undefined) {
        return failedReading("not-configured", "no drainReport in the target config", ctx.nowMs);
      }
      const drained: number[] = [];
      for (let i = 0; i < fleet.names.length; i += 1) if (fleet.admin[i] === 1) drained.push(i);
      if (drained.length === 0) return failedReading("empty", "no server is in drain", ctx.nowMs);
      return vector(ctx, drained, (i) => fleet.drainReport(i));
    },
  };

  return {
    sessions: perNode((i) => fleet.inflight[i] ?? 0),
    up: perNode((i) => (isUp(fleet.status(i)) ? 1 : 0)),
    requests: perNode((i) => fleet.requestsTotal[i] ?? 0),
    errors: perNode((i) => fleet.errorsTotal[i] ?? 0),
    weights: perNode((i) => fleet.weight[i] ?? 0),
    displaced,
    drain_report: drainReport,
  };
}
