/**
 * The `fake` target: an in-memory target for engine and runner tests, in
 * plans (`kind: fake`) or from code ({@link createFakeTarget}, whose handle
 * records every apply and can change the fake's behaviour mid-test).
 *
 * ```yaml
 * target:
 *   kind: fake
 *   sensors: { inflight: [{ value: 3 }, { value: 0 }] }   # plans gate on target.inflight
 *   failures: [{ apply: 2, retryable: true }]             # the 2nd apply call fails
 *   claims: [fake:checkout]
 * ```
 */
import { z } from "zod";
import { createFakeSensor, type FakeSensorHandle, fakeSensorStepSchema } from "../../sensors/fake/fake-sensor.ts";
import type { Sensor } from "../../sensors/sensor.ts";
import { reverseReplayRollback, runActions, simpleGatesSchema, toGatesSpec } from "../run-action.ts";
import type { ActionRequest, Observation, Target, TargetDefinition, TargetResult } from "../target.ts";

const scriptedFailure = z
  .object({
    apply: z
      .number()
      .int()
      .positive()
      .describe("1-based number of the apply call that fails (counting every call, duplicates included)."),
    retryable: z.boolean(),
    code: z.string().min(1).optional(),
  })
  .strict();

const fakeTargetConfig = z
  .object({
    sensors: z
      .record(z.string(), z.array(fakeSensorStepSchema))
      .optional()
      .describe("Sensors the target provides (`target.<name>`), each a fake sensor script."),
    rejectStaleTokens: z.boolean().optional().describe("Reject tokens lower than the highest seen. Default true."),
    failures: z.array(scriptedFailure).optional(),
    drift: z.string().min(1).optional().describe("Reported by every observe until changed."),
    claims: z.array(z.string().min(1)).min(1).optional().describe("Default `fake`."),
    defaultGates: simpleGatesSchema.optional().describe("Added to every stage's gates."),
    rollbackGates: simpleGatesSchema.optional(),
  })
  .strict();

/** Validated `fake` target config. */
export type FakeTargetConfig = z.infer<typeof fakeTargetConfig>;

/** One apply call as the fake saw it. */
export interface FakeApplyCall extends Omit<ActionRequest, "signal"> {
  /** 1-based call number. */
  readonly call: number;
  /** `applied`: took effect; `duplicate`: key seen before, no change; the rest: refused. */
  readonly outcome: "applied" | "duplicate" | "fenced" | "failed" | "aborted";
}

/** A fake target and the handle a test drives and inspects it with. */
export interface FakeTargetHandle {
  readonly target: Target;
  /** A `fake` kind whose `create` returns this very target: register it to drive this instance through a plan. */
  readonly definition: TargetDefinition<FakeTargetConfig>;
  /** Every apply call, in order. */
  calls(): readonly FakeApplyCall[];
  /** The calls that took effect (once per key), in order. */
  applied(): readonly FakeApplyCall[];
  /** Make apply call number `call` (1-based, counting all calls) fail. */
  failOnApply(call: number, failure: { readonly retryable: boolean; readonly code?: string }): void;
  /** Set or clear the drift every observe reports. */
  setDrift(drift: string | undefined): void;
  /** The handle of a configured sensor, to push readings. Throws for an unknown name (a test bug). */
  sensor(name: string): FakeSensorHandle;
}

/**
 * Builds a fake target. Apply is idempotent by key, rejects stale fencing
 * tokens (lower than the highest seen) unless `rejectStaleTokens: false`,
 * and fails as scripted. Observe has no side effects; `matches` says whether
 * the expected key took effect. `nowMs` dates observations (inject the
 * test's clock).
 */
export function createFakeTarget(config: FakeTargetConfig = {}, nowMs: () => number = Date.now): FakeTargetHandle {
  const calls: FakeApplyCall[] = [];
  const failures = new Map((config.failures ?? []).map((f) => [f.apply, f]));
  let drift = config.drift;
  let highestToken: number | undefined;
  const sensorHandles = new Map(
    Object.entries(config.sensors ?? {}).map(([name, script]) => [name, createFakeSensor(script)]),
  );
  const applied = () => calls.filter((c) => c.outcome === "applied");

  function outcomeOf(
    request: ActionRequest,
    call: number,
  ): { outcome: FakeApplyCall["outcome"]; result: TargetResult<undefined> } {
    if (request.signal.aborted) return refused("aborted", "apply aborted", true);
    if (config.rejectStaleTokens !== false && highestToken !== undefined && request.fencingToken < highestToken) {
      return refused("fenced", `stale fencing token ${request.fencingToken} < ${highestToken}`, false);
    }
    highestToken = Math.max(highestToken ?? request.fencingToken, request.fencingToken);
    const failure = failures.get(call);
    if (failure !== undefined) {
      const code = failure.code ?? (failure.retryable ? "tempfail" : "failed");
      return {
        outcome: "failed",
        result: { ok: false, code, message: `scripted failure of apply ${call}`, retryable: failure.retryable },
      };
    }
    const duplicate = applied().some((c) => c.idempotencyKey === request.idempotencyKey);
    return { outcome: duplicate ? "duplicate" : "applied", result: { ok: true, value: undefined } };
  }

  const target: Target = {
    async apply(request) {
      const { signal: _signal, ...data } = request;
      const call = calls.length + 1;
      const { outcome, result } = outcomeOf(request, call);
      calls.push({ ...data, call, outcome });
      return result;
    },
    async observe(expected, signal): Promise<TargetResult<Observation>> {
      if (signal.aborted) return { ok: false, code: "aborted", message: "observe aborted", retryable: true };
      const keys = applied().map((c) => c.idempotencyKey);
      const observation: { -readonly [K in keyof Observation]: Observation[K] } = {
        observedAtMs: nowMs(),
        state: { applied: keys, highestToken: highestToken ?? null },
        matches: expected === undefined ? "unknown" : keys.includes(expected.idempotencyKey),
      };
      if (drift !== undefined) observation.drift = drift;
      return { ok: true, value: observation };
    },
    sensors() {
      const sensors: Record<string, Sensor> = {};
      for (const [name, handle] of sensorHandles) sensors[name] = handle.sensor;
      return sensors;
    },
    async close() {
      await Promise.all([...sensorHandles.values()].map((handle) => handle.sensor.close?.()));
    },
  };

  return {
    target,
    definition: { ...fakeTargetDefinition, sensorNames: () => [...sensorHandles.keys()], create: () => target },
    calls: () => [...calls],
    applied,
    failOnApply(call, failure) {
      failures.set(call, { apply: call, ...failure });
    },
    setDrift(value) {
      drift = value;
    },
    sensor(name) {
      const handle = sensorHandles.get(name);
      if (handle === undefined) throw new Error(`fake target has no sensor ${name}`);
      return handle;
    },
  };
}

function refused(
  outcome: "fenced" | "aborted",
  message: string,
  retryable: boolean,
): { outcome: FakeApplyCall["outcome"]; result: TargetResult<undefined> } {
  return { outcome, result: { ok: false, code: outcome, message, retryable } };
}

/** The `fake` target kind: a fresh in-memory fake per `create`. No I/O. */
export const fakeTargetDefinition: TargetDefinition<FakeTargetConfig> = {
  kind: "fake",
  description: "In-memory target for tests: records applies, scripted failures, drift and sensors",
  config: fakeTargetConfig,
  actions: runActions,
  sensorNames: (config) => Object.keys(config.sensors ?? {}),
  claims: (config) => config.claims ?? ["fake"],
  defaultGates: (_action, config) => toGatesSpec(config.defaultGates),
  rollback: (applied, config) => reverseReplayRollback(applied, config.rollbackGates),
  create: (config) => createFakeTarget(config).target,
};
