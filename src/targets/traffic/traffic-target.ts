/**
 * The traffic target, one implementation for every router: a
 * {@link RouterDriver} factory makes it a kind (`haproxy`, `builtin-router`).
 *
 * Server sets are name patterns (`legacy: "v1-*"`, `candidate: "v2-*"`).
 * Actions, each idempotent and read back after applying:
 *
 * - `weight { candidatePercent }`: the candidate set gets that share of new
 *   requests, the legacy set the rest, spread over each set's `ready` servers.
 * - `drain { servers | count }`: legacy servers to `drain` (in-flight work finishes).
 * - `quiesce { servers | count }`: the quiesce hook per drained node.
 * - `retire { servers | count }`: `maint`, then the terminate hook per node.
 * - `provision { servers }`: the provision hook per node, then `ready`.
 * - `restore-legacy { candidatePercent, servers? }`: planned by rollback.
 *
 * Drift: `apply` and `observe` compare the router with what this instance
 * last set (see `router-ledger.ts`, an in-memory ledger: after a controller
 * restart the first observation is the baseline). A forward apply refuses to
 * overwrite drift once (`drift`, not retryable, so the operation halts); a
 * resume lets it set its state again. Rollback applies record drift and go on.
 */
import { resolve } from "node:path";
import type { z } from "zod";
import type { Sensor } from "../../sensors/sensor.ts";
import type { Observation, Target, TargetDefinition, TargetResult } from "../target.ts";
import { actionInPlace } from "./action-match.ts";
import type { RouterDriver } from "./router-driver.ts";
import { RouterLedger } from "./router-ledger.ts";
import { readSnapshot, summarise } from "./router-snapshot.ts";
import { applyTrafficAction, matchContext, type TrafficRuntime } from "./traffic-apply.ts";
import { parseTrafficAction, type TrafficConfig, trafficActions } from "./traffic-config.ts";
import { trafficDefaultGates } from "./traffic-gates.ts";
import { planTrafficRollback } from "./traffic-rollback.ts";
import { TRAFFIC_SENSOR_NAMES, trafficSensors } from "./traffic-sensors.ts";

/** What makes the generic traffic target a kind. */
export interface TrafficKind<Config extends TrafficConfig> {
  readonly kind: string;
  readonly description: string;
  readonly config: z.ZodType<Config>;
  /** The objects claimed for the operation's life (the router's backend). */
  claims(config: Config): readonly string[];
  /** A driver for the configured router; no I/O. A failure (e.g. a missing token) makes every call fail with it. */
  driver(config: Config, env: Readonly<Record<string, string | undefined>>): TargetResult<RouterDriver>;
}

/** A driver whose every call fails with `failure` (a config problem found at create time). */
function failingDriver(failure: Extract<TargetResult<unknown>, { ok: false }>): RouterDriver {
  return {
    servers: async () => failure,
    sessions: async () => failure,
    setWeight: async () => failure,
    setState: async () => failure,
    info: async () => failure,
    close: async () => {},
  };
}

/**
 * Builds the live target over `driver`. No I/O until the first call.
 * `planDir` anchors command hooks' working directory.
 */
export function createTrafficTarget(config: TrafficConfig, driver: RouterDriver, planDir: string): Target {
  const runtime: TrafficRuntime = {
    driver,
    config,
    ledger: new RouterLedger(),
    memos: new Map(),
    cwd: resolve(planDir),
  };
  const sensors: Readonly<Record<string, Sensor>> = trafficSensors(driver, config);
  return {
    apply: (request) => applyTrafficAction(runtime, request),

    async observe(expected, signal): Promise<TargetResult<Observation>> {
      const snapshot = await readSnapshot(driver, signal);
      if (!snapshot.ok) return snapshot;
      const { servers, info } = snapshot.value;
      const drift = runtime.ledger.drift(servers, info);
      const parsed =
        expected === undefined ? undefined : parseTrafficAction(expected.action.type, expected.action.params);
      const matches =
        parsed === undefined || !parsed.ok
          ? "unknown"
          : actionInPlace(parsed.value, servers, matchContext(runtime, expected?.idempotencyKey));
      const observation: Observation = {
        observedAtMs: Date.now(),
        state: summarise(snapshot.value, config),
        matches,
      };
      return { ok: true, value: drift === undefined ? observation : { ...observation, drift } };
    },

    sensors: () => sensors,

    close: () => driver.close(),
  };
}

/** Turns a {@link TrafficKind} into a registry entry. */
export function trafficTargetDefinition<Config extends TrafficConfig>(
  kind: TrafficKind<Config>,
): TargetDefinition<Config> {
  return {
    kind: kind.kind,
    description: kind.description,
    config: kind.config,
    actions: trafficActions,
    sensorNames: () => TRAFFIC_SENSOR_NAMES,
    claims: (config) => kind.claims(config),
    defaultGates: (action, config) => trafficDefaultGates(action, config),
    rollback: (applied, config) => planTrafficRollback(applied, config),
    create(config, ctx) {
      const driver = kind.driver(config, process.env);
      return createTrafficTarget(config, driver.ok ? driver.value : failingDriver(driver), ctx.planDir);
    },
  };
}
