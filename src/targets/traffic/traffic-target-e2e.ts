/**
 * End-to-end behaviour of the traffic target on a real router with real
 * sample-service backends, router-neutral: the built-in router and HAProxy
 * each provide a fixture and call {@link describeTrafficTargetE2e}.
 *
 * Fleet: legacy `v1-a`, `v1-b`, `v1-c` and candidate `v2-a`, weight 100
 * each, health-checked; `v1-a` runs background jobs (so its drain report
 * has work until it is quiesced). Router statistics update asynchronously,
 * so checks poll until they hold; no check depends on wall-clock thresholds.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningSampleService, startSampleService } from "../../sample/sample-service.ts";
import type { ReadContext, Reading } from "../../sensors/sensor.ts";
import type { ActionRequest, ActionSpec, Target, TargetDefinition } from "../target.ts";
import type { ReleaseHeldRequest } from "./router-driver.contract.ts";
import type { RouterDriver } from "./router-driver.ts";
import type { TrafficConfig } from "./traffic-config.ts";
import { planTrafficRollback } from "./traffic-rollback.ts";

/** The fleet every fixture puts behind its router. */
export const E2E_SERVERS = ["v1-a", "v1-b", "v1-c", "v2-a"] as const;

/** Starts the fleet's sample services on loopback. */
export async function startFleet(): Promise<Map<string, RunningSampleService>> {
  const started = await Promise.all(
    E2E_SERVERS.map((name) =>
      startSampleService({
        port: 0,
        name,
        version: name.startsWith("v1") ? "1.0.0" : "2.0.0",
        latencyMs: { median: 1, p99: 3 },
        errorRate: 0,
        longRequestShare: 0,
        longRequestMs: 0,
        ...(name === "v1-a" ? { jobs: { intervalMs: 50, durationMs: 400 } } : {}),
      }),
    ),
  );
  return new Map(started.map((sample) => [sample.name, sample]));
}

/** `host:port` of every sample, for the target's `addresses`. */
export function addressesOf(fleet: ReadonlyMap<string, RunningSampleService>): Record<string, string> {
  return Object.fromEntries([...fleet].map(([name, sample]) => [name, new URL(sample.url).host]));
}

/** What a router gives the scenarios. */
export interface TrafficE2eFixture {
  readonly definition: TargetDefinition;
  /** The kind's config fields (router address, backend, token); the scenarios add the shared ones. */
  readonly routerConfig: Readonly<Record<string, unknown>>;
  readonly fleet: ReadonlyMap<string, RunningSampleService>;
  /** The router's public URL. */
  readonly routerUrl: string;
  /** A driver of its own, to reset the router between scenarios. */
  readonly driver: RouterDriver;
  /** Changes a weight behind Airlock's back (admin API, runtime API). */
  setWeightByHand(server: string, weight: number): Promise<void>;
  /** Restarts or reloads the router so that runtime weights return to the configured ones. */
  restartWipingWeights(): Promise<void>;
  teardown(): Promise<void>;
}

const signal = (): AbortSignal => AbortSignal.timeout(10_000);

async function eventually(check: () => Promise<void>, attempts = 200): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await check();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Holds a request on `server` through the router, each attempt on a new
 * connection. HAProxy dates a stream on a reused keep-alive connection from
 * when that connection went idle, so a request sent after an action on a
 * connection idle since before it counts as displaced (conservatively); a
 * fresh connection keeps "started after the action" unambiguous.
 */
async function holdOnFreshConnection(
  routerUrl: string,
  backendUrl: string,
  server: string,
): Promise<ReleaseHeldRequest> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const key = randomUUID();
    let answered = false;
    const status = new Promise<number>((resolve, reject) => {
      const request = get(`${routerUrl}/hold?key=${key}&on=${encodeURIComponent(server)}`, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      request.on("error", reject);
    }).finally(() => {
      answered = true;
    });
    while (!answered) {
      const holds = (await (await fetch(`${backendUrl}/holds`)).json()) as { holds: string[] };
      if (holds.holds.includes(key)) {
        return async () => {
          await fetch(`${backendUrl}/holds/${key}/release`, { method: "POST" });
          return status;
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await status; // landed on another server, which answered at once
  }
  throw new Error(`could not hold a request on ${server}`);
}

function valuesOf(reading: Reading): Readonly<Record<string, number>> {
  if (!reading.ok) throw new Error(`reading failed: ${reading.code}: ${reading.message}`);
  if (reading.value.type !== "vector") throw new Error("expected a vector");
  return reading.value.values;
}

function sum(values: Readonly<Record<string, number>>): number {
  return Object.values(values).reduce((total, value) => total + value, 0);
}

/** Registers the scenarios for one router. `setup` runs once for the file. */
export function describeTrafficTargetE2e(name: string, setup: () => Promise<TrafficE2eFixture>): void {
  describe(`traffic target end to end: ${name}`, () => {
    let fixture: TrafficE2eFixture;
    let hookDir: string;
    let target: Target;
    const targets: Target[] = [];
    const held: ReleaseHeldRequest[] = [];
    let keys = 0;

    const config = (): Record<string, unknown> => {
      const hookLog = join(hookDir, "hooks.log");
      const logHook = {
        command: [
          process.execPath,
          "-e",
          "const e = process.env; require('node:fs').appendFileSync(process.argv[1], [e.AIRLOCK_HOOK, e.AIRLOCK_NODE, e.AIRLOCK_NODE_ADDRESS, e.AIRLOCK_FENCING_TOKEN, e.AIRLOCK_IDEMPOTENCY_KEY].join(' ') + '\\n')",
          hookLog,
        ],
      };
      return {
        ...fixture.routerConfig,
        legacy: "v1-*",
        candidate: "v2-*",
        hooks: { quiesce: { webhook: "http://{address}/quiesce" }, terminate: logHook, provision: logHook },
        drainReport: { url: "http://{address}/drain" },
        addresses: addressesOf(fixture.fleet),
      };
    };
    const parsedConfig = (): TrafficConfig => fixture.definition.config.parse(config()) as TrafficConfig;
    const newTarget = (): Target => {
      const created = fixture.definition.create(parsedConfig(), { planDir: hookDir });
      targets.push(created);
      return created;
    };
    const request = (action: ActionSpec, rollback = false): ActionRequest => {
      keys += 1;
      return {
        operationId: "op-e2e",
        stageName: `stage-${keys}`,
        stageIndex: keys,
        action,
        idempotencyKey: `key-${keys}`,
        fencingToken: 7,
        rollback,
        signal: signal(),
      };
    };
    const apply = async (action: ActionSpec, rollback = false) => {
      const result = await target.apply(request(action, rollback));
      if (!result.ok) throw new Error(`apply ${action.type} failed: ${result.code}: ${result.message}`);
      return result.value;
    };
    const read = async (sensor: string, stage: Pick<ReadContext, "stageAppliedAtMs" | "stageAction"> = {}) => {
      const sensors = target.sensors();
      const found = sensors[sensor];
      if (found === undefined) throw new Error(`no sensor ${sensor}`);
      return found.read({ nowMs: Date.now(), signal: signal(), ...stage });
    };
    const hold = async (server: string): Promise<ReleaseHeldRequest> => {
      const sample = fixture.fleet.get(server);
      if (sample === undefined) throw new Error(`no sample ${server}`);
      const release = await holdOnFreshConnection(fixture.routerUrl, sample.url, server);
      held.push(release);
      return release;
    };
    const weight = (candidatePercent: number): ActionSpec => ({ type: "weight", params: { candidatePercent } });

    beforeAll(async () => {
      fixture = await setup();
      hookDir = mkdtempSync(join(tmpdir(), "airlock-traffic-e2e-"));
      target = newTarget();
      await eventually(async () => expect(sum(valuesOf(await read("up")))).toBe(E2E_SERVERS.length));
    });

    beforeEach(async () => {
      for (const server of E2E_SERVERS) {
        expect((await fixture.driver.setState(server, "ready", signal())).ok).toBe(true);
        expect((await fixture.driver.setWeight(server, 100, signal())).ok).toBe(true);
      }
      target = newTarget();
    });

    afterEach(async () => {
      // A failed scenario must not leave requests in flight for the next one (releasing twice is harmless).
      await Promise.allSettled(held.splice(0).map((release) => release()));
    });

    afterAll(async () => {
      await Promise.allSettled(targets.map((created) => created.close?.()));
      await fixture?.driver.close();
      await fixture?.teardown();
      if (hookDir !== undefined) rmSync(hookDir, { recursive: true, force: true });
    });

    it("weight: displaced counts legacy requests from before the action until they finish, then 0", async () => {
      const [releaseA, releaseB] = [await hold("v1-a"), await hold("v1-b")];
      const applied = await apply(weight(50));
      const stage = {
        stageAppliedAtMs: Date.now(),
        stageAction: { type: "weight", params: { candidatePercent: 50 }, rollback: false },
      };
      expect(applied?.matches).toBe(true);
      expect(valuesOf(await read("weights"))).toEqual({ "v1-a": 34, "v1-b": 33, "v1-c": 33, "v2-a": 100 });
      expect(valuesOf(await read("displaced", stage))).toEqual({ "v1-a": 1, "v1-b": 1, "v1-c": 0, "v2-a": 0 });

      // A request that starts well after the action is the legacy side's own share, not displaced work
      // (HAProxy prints ages in whole seconds, so "well after" is more than a second).
      await eventually(async () => expect(Date.now() - stage.stageAppliedAtMs).toBeGreaterThan(1_500));
      const releaseC = await hold("v1-c");
      expect(sum(valuesOf(await read("displaced", stage)))).toBe(2);

      expect(await releaseA()).toBe(200);
      await eventually(async () => expect(valuesOf(await read("displaced", stage))["v1-a"]).toBe(0));
      expect(await releaseB()).toBe(200);
      await eventually(async () => expect(sum(valuesOf(await read("displaced", stage)))).toBe(0));
      expect(valuesOf(await read("sessions"))["v1-c"]).toBe(1);
      expect(await releaseC()).toBe(200);

      const outside = await read("displaced");
      expect(outside.ok && outside.detail).toBe("no stage is sealing: no work is displaced");
      const up = await read("up");
      expect(up.ok && up.value.type === "vector" && up.value.labels?.["v2-a"]).toMatchObject({
        cohort: "candidate",
        routable: "1",
      });
    });

    it("drain: no new requests reach the drained server and its sessions reach 0 when the held one ends", async () => {
      const release = await hold("v1-a");
      await apply({ type: "drain", params: { servers: ["v1-a"] } });
      const sessions = await read("sessions");
      expect(valuesOf(sessions)["v1-a"]).toBe(1);
      expect(sessions.ok && sessions.value.type === "vector" && sessions.value.labels?.["v1-a"]?.adminState).toBe(
        "drain",
      );
      const before = valuesOf(await read("requests"))["v1-a"];
      for (let i = 0; i < 8; i += 1) expect((await fetch(`${fixture.routerUrl}/`)).status).toBe(200);
      expect(valuesOf(await read("requests"))["v1-a"]).toBe(before);
      expect(await release()).toBe(200);
      await eventually(async () => expect(valuesOf(await read("sessions"))["v1-a"]).toBe(0));
      const observed = await target.observe(request({ type: "drain", params: { servers: ["v1-a"] } }), signal());
      expect(observed).toMatchObject({ ok: true, value: { matches: true } });
    });

    it("retire: quiesce through the sample's /quiesce webhook brings the drain report to 0, then maint and terminate", async () => {
      await apply(weight(100));
      await apply({ type: "drain", params: { servers: ["v1-a"] } });
      await eventually(async () => expect(valuesOf(await read("drain_report"))["v1-a"]).toBeGreaterThan(0));
      await apply({ type: "quiesce", params: { servers: ["v1-a"] } });
      await eventually(async () => expect(valuesOf(await read("drain_report"))).toEqual({ "v1-a": 0 }));

      const retired = await apply({ type: "retire", params: { servers: ["v1-a"] } });
      expect(retired?.matches).toBe(true);
      const states = await read("weights");
      expect(states.ok && states.value.type === "vector" && states.value.labels?.["v1-a"]?.adminState).toBe("maint");
      const address = addressesOf(fixture.fleet)["v1-a"];
      expect(readFileSync(join(hookDir, "hooks.log"), "utf8")).toContain(
        `terminate v1-a ${address} 7 key-${keys}:terminate:v1-a`,
      );
    });

    it("rollback: restores retired legacy capacity through the provision hook, then takes the candidate out in one step", async () => {
      const applied: ActionSpec[] = [
        weight(100),
        { type: "drain", params: { servers: ["v1-b"] } },
        { type: "retire", params: { servers: ["v1-b"] } },
      ];
      for (const action of applied) await apply(action);
      const plan = planTrafficRollback(applied, parsedConfig());
      expect(plan.stopsAt).toBeUndefined();
      for (const step of plan.steps) await apply(step.action, true);
      const weights = await read("weights");
      expect(valuesOf(weights)).toEqual({ "v1-a": 100, "v1-b": 100, "v1-c": 100, "v2-a": 0 });
      expect(weights.ok && weights.value.type === "vector" && weights.value.labels?.["v1-b"]?.adminState).toBe("ready");
      expect(readFileSync(join(hookDir, "hooks.log"), "utf8")).toMatch(/^provision v1-b /m);
    });

    it("drift: a weight changed by hand is reported by observe and refused once by the next apply", async () => {
      const first = request(weight(10));
      expect(await target.apply(first)).toMatchObject({ ok: true });
      await fixture.setWeightByHand("v2-a", 7);
      const observed = await target.observe(first, signal());
      expect(observed).toMatchObject({ ok: true, value: { matches: false } });
      expect(observed.ok && observed.value.drift).toMatch(
        /^changed behind Airlock's back: v2-a weight 7 \(Airlock set \d+\)$/,
      );
      expect(await target.apply(request(weight(50)))).toMatchObject({ ok: false, code: "drift", retryable: false });
      // Resuming after the halt lets Airlock set its state again.
      expect(await target.apply(request(weight(50)))).toMatchObject({ ok: true });
      const after = await target.observe(undefined, signal());
      expect(after.ok && after.value.drift).toBeUndefined();
    });

    it("drift: a restart or reload that wiped runtime weights is reported", async () => {
      expect(await target.apply(request(weight(10)))).toMatchObject({ ok: true });
      await fixture.restartWipingWeights();
      await eventually(async () => {
        const observed = await target.observe(undefined, signal());
        expect(observed.ok && observed.value.drift).toMatch(
          /^router restarted or reloaded .*reset to the configured ones/,
        );
      });
    });
  });
}
