/** For tests, until `cli/wiring.ts` registers them: the built-in registries plus the cache and flag kinds. */
import { builtinRegistries, type Registries } from "../../cli/wiring.ts";
import { redisSensorDefinition } from "../../sensors/redis/redis-sensor.ts";
import type { SensorDefinition } from "../../sensors/sensor.ts";
import { flagdTargetDefinition } from "../flagd/flagd-target.ts";
import type { TargetDefinition } from "../target.ts";
import { redisCacheTargetDefinition } from "./redis-cache-target.ts";

/** Built-in kinds with `redis`, `redis-cache` and `flagd`. */
export function cacheAndFlagRegistries(): Registries {
  const builtin = builtinRegistries();
  return {
    sensors: new Map([...builtin.sensors, ["redis", redisSensorDefinition as SensorDefinition]]),
    targets: new Map([
      ...builtin.targets,
      ["redis-cache", redisCacheTargetDefinition as TargetDefinition],
      ["flagd", flagdTargetDefinition as TargetDefinition],
    ]),
  };
}
