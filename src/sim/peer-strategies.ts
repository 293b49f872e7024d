/**
 * The strategies users run today, built in for comparison. They use the
 * same simulated target and the same actions as the plan (provision,
 * weight, drain, retire) and differ only in *when* they advance: on
 * readiness and timers, never on drain sensors.
 *
 * - `naive`: Kubernetes rolling update with `maxSurge: 100%`: every
 *   candidate at once, all traffic when they are ready, old instances
 *   terminated at once (SIGTERM, SIGKILL after the grace period).
 * - `timer-canary-*`: Argo Rollouts `setWeight` steps (the plan's weight
 *   stages) with a fixed pause each and analysis on the fleet's aggregate
 *   error rate, canary replicas scaled with the weight, old instances
 *   scaled down `scaleDownDelay` after full promotion.
 */
import type { ActionSpec, Json } from "../targets/target.ts";
import type { TimerPeerSpec } from "./fleet-spec.ts";
import { type SimFleet, STEP_MS } from "./sim-fleet.ts";
import type { SimTarget } from "./sim-target.ts";

/** A strategy's end: where it stopped and, for an abort, when and why. */
export interface PeerOutcome {
  readonly status: "completed" | "aborted" | "failed" | "timeout";
  readonly endedAtMs: number;
  readonly abort?: { readonly atMs: number; readonly message: string };
  readonly stages: readonly { readonly name: string; readonly startedAtMs: number; readonly endedAtMs: number }[];
  readonly error?: string;
}

/** What a peer drives. */
export interface PeerWorld {
  readonly fleet: SimFleet;
  readonly target: SimTarget;
  readonly legacy: readonly string[];
  readonly candidates: readonly string[];
  /** Forward weight steps of the plan, percent, ending at 100. */
  readonly weights: readonly number[];
  readonly terminationGraceMs: number;
  /** Simulated time at which the run gives up. */
  readonly deadlineMs: number;
}

class Timeout extends Error {}
class ActionError extends Error {}

/** Steps the world and applies actions for a peer. */
class Driver {
  readonly stages: { name: string; startedAtMs: number; endedAtMs: number }[] = [];
  #seq = 0;

  constructor(readonly world: PeerWorld) {}

  advance(ms: number): void {
    for (let t = 0; t < ms; t += STEP_MS) {
      if (this.world.fleet.nowMs >= this.world.deadlineMs) throw new Timeout();
      this.world.fleet.step();
    }
  }

  until(done: () => boolean): void {
    while (!done()) this.advance(STEP_MS);
  }

  async apply(type: string, params: Readonly<Record<string, Json>>): Promise<void> {
    this.#seq += 1;
    const action: ActionSpec = { type, params };
    const applied = await this.world.target.apply({
      operationId: "peer",
      stageName: `${type}-${this.#seq}`,
      stageIndex: this.#seq,
      action,
      idempotencyKey: `peer-${this.#seq}`,
      fencingToken: 1,
      rollback: false,
      signal: new AbortController().signal,
    });
    if (!applied.ok) throw new ActionError(`${type}: ${applied.code}: ${applied.message}`);
  }

  async stage(name: string, body: () => Promise<void>): Promise<void> {
    const startedAtMs = this.world.fleet.nowMs;
    await body();
    this.stages.push({ name, startedAtMs, endedAtMs: this.world.fleet.nowMs });
  }

  async provisionUpTo(count: number): Promise<void> {
    const { fleet, candidates } = this.world;
    const wanted = candidates.slice(0, count).filter((name) => fleet.running[fleet.index.get(name) ?? -1] !== 1);
    if (wanted.length > 0) await this.apply("provision", { servers: wanted });
    this.until(() => candidates.slice(0, count).every((name) => fleet.status(fleet.index.get(name) ?? -1) === "UP"));
  }

  /** Old instances out of the endpoints and terminated (SIGTERM now, SIGKILL after the grace period). */
  async scaleDownLegacy(): Promise<void> {
    const { fleet, legacy } = this.world;
    await this.apply("drain", { servers: [...legacy] });
    await this.apply("retire", { servers: [...legacy] });
    this.until(() => legacy.every((name) => fleet.running[fleet.index.get(name) ?? -1] !== 1));
  }
}

async function outcomeOf(driver: Driver, body: () => Promise<PeerOutcome["abort"]>): Promise<PeerOutcome> {
  const base = { stages: driver.stages };
  try {
    const abort = await body();
    const endedAtMs = driver.world.fleet.nowMs;
    return abort === undefined
      ? { ...base, status: "completed", endedAtMs }
      : { ...base, status: "aborted", endedAtMs, abort };
  } catch (error) {
    const endedAtMs = driver.world.fleet.nowMs;
    if (error instanceof Timeout) return { ...base, status: "timeout", endedAtMs };
    if (error instanceof ActionError) return { ...base, status: "failed", endedAtMs, error: error.message };
    throw error;
  }
}

/** Runs `naive` to its end. */
export function runNaive(world: PeerWorld): Promise<PeerOutcome> {
  const driver = new Driver(world);
  return outcomeOf(driver, async () => {
    await driver.stage("surge", () => driver.provisionUpTo(world.candidates.length));
    await driver.stage("switch", () => driver.apply("weight", { candidatePercent: 100 }));
    await driver.stage("terminate-old", () => driver.scaleDownLegacy());
    return undefined;
  });
}

/** Runs a timer canary with `settings` to its end (or its abort). */
export function runTimerCanary(world: PeerWorld, settings: TimerPeerSpec): Promise<PeerOutcome> {
  const driver = new Driver(world);
  const { fleet } = world;
  return outcomeOf(driver, async () => {
    for (const percent of world.weights) {
      let abort: PeerOutcome["abort"];
      await driver.stage(`setWeight-${percent}`, async () => {
        await driver.provisionUpTo(Math.ceil((percent / 100) * world.candidates.length));
        await driver.apply("weight", { candidatePercent: percent });
        const before = { ...fleet.counters };
        driver.advance(settings.pause);
        const requests = fleet.counters.requests - before.requests;
        const failed = fleet.counters.failedRequests - before.failedRequests;
        const rate = requests === 0 ? 0 : failed / requests;
        if (rate > settings.maxErrorRate) {
          abort = {
            atMs: fleet.nowMs,
            message: `analysis failed: fleet error rate ${(rate * 100).toFixed(2)}% > ${(settings.maxErrorRate * 100).toFixed(2)}%`,
          };
        }
      });
      if (abort !== undefined) {
        await driver.apply("weight", { candidatePercent: 0 });
        for (const name of world.candidates) fleet.terminate(fleet.index.get(name) ?? -1, world.terminationGraceMs);
        driver.until(() => world.candidates.every((name) => fleet.running[fleet.index.get(name) ?? -1] !== 1));
        return abort;
      }
    }
    await driver.stage("scaleDownDelay", async () => driver.advance(settings.scaleDownDelay));
    await driver.stage("terminate-old", () => driver.scaleDownLegacy());
    return undefined;
  });
}
