/**
 * Stand-ins for a plan's own sensors (`sensors:` in the plan): each is
 * mapped by the fleet file to a simulated quantity; an unmapped one fails
 * every read (fail closed: the simulator does not invent a value).
 */
import { failedReading } from "../sensors/failed-reading.ts";
import type { Sensor } from "../sensors/sensor.ts";
import type { FleetSpec } from "./fleet-spec.ts";
import type { SimFleet } from "./sim-fleet.ts";

/** The plan sensors by name, and the names the fleet file did not map. */
export function simPlanSensors(
  names: readonly string[],
  spec: FleetSpec,
  fleet: SimFleet,
): { readonly sensors: Record<string, Sensor>; readonly unmapped: readonly string[] } {
  const sensors: Record<string, Sensor> = {};
  const unmapped: string[] = [];
  for (const name of names) {
    const quantity = spec.sensors[name];
    if (quantity === undefined) {
      unmapped.push(name);
      sensors[name] = {
        read: async (ctx) =>
          failedReading("not-simulated", `sensor ${name} is not mapped in the fleet file's sensors`, ctx.nowMs),
      };
      continue;
    }
    const measure = (): number => {
      switch (quantity) {
        case "dbConnections":
          return fleet.dbConnections;
        case "dbHeadroom":
          return spec.database.maxConnections - fleet.dbConnections;
        case "failedRequests":
          return fleet.counters.failedRequests;
        default: {
          const unreachable: never = quantity;
          return unreachable;
        }
      }
    };
    sensors[name] = {
      read: async (ctx) => ({ ok: true, observedAtMs: ctx.nowMs, value: { type: "scalar", value: measure() } }),
    };
  }
  return { sensors, unmapped };
}
