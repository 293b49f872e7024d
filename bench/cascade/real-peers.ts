/**
 * The peer strategies on the real stack, defined as the simulator defines
 * them (`src/sim/peer-strategies.ts`): the same traffic-target actions as
 * Airlock's plan (provision, weight, drain, retire = terminate), advancing
 * on readiness and timers, never on drain sensors.
 *
 * - `naive`: every candidate at once, all traffic when they are UP, then
 *   every legacy node drained and retired (terminated with a grace period).
 * - `timer-canary-*`: per weight step, as many candidates as the weight
 *   needs, the weight, a fixed pause, analysis of the router's aggregate
 *   error rate over the pause (abort above `maxErrorRate`: weight 0, the
 *   candidates terminated); after the last step `scaleDownDelay`, then the
 *   legacy nodes drained and retired.
 */

import type { Json, Target } from "../../src/targets/target.ts";
import type { RouterDriver, ServerStat } from "../../src/targets/traffic/router-driver.ts";
import type { FleetManager } from "./fleet-manager.ts";
import type { TimerPeerSettings } from "./peers-file.ts";

/** How a peer ended: `abortedAtMs` when its analysis aborted it. */
export interface PeerOutcome {
  readonly status: "completed" | "aborted" | "failed";
  readonly abortedAtMs?: number;
  readonly message?: string;
}

/** What a peer drives. */
export interface PeerWorld {
  readonly target: Target;
  readonly driver: RouterDriver;
  readonly manager: FleetManager;
  readonly legacy: readonly string[];
  readonly candidates: readonly string[];
  readonly weightSteps: readonly number[];
  readonly signal: AbortSignal;
}

const POLL_MS = 100;

class ActionFailed extends Error {}

/** Applies actions through the target and waits on the world. */
class Driver {
  #seq = 0;

  constructor(readonly world: PeerWorld) {}

  async apply(type: string, params: Readonly<Record<string, Json>>): Promise<void> {
    this.#seq += 1;
    const applied = await this.world.target.apply({
      operationId: "peer",
      stageName: `${type}-${this.#seq}`,
      stageIndex: this.#seq,
      action: { type, params },
      idempotencyKey: `peer-${this.#seq}`,
      fencingToken: 1,
      rollback: false,
      signal: this.world.signal,
    });
    if (!applied.ok) throw new ActionFailed(`${type}: ${applied.code}: ${applied.message}`);
  }

  async until(done: () => boolean | Promise<boolean>): Promise<void> {
    while (!(await done())) {
      if (this.world.signal.aborted) throw new ActionFailed("interrupted");
      await sleep(POLL_MS);
    }
  }

  async servers(): Promise<readonly ServerStat[]> {
    const listed = await this.world.driver.servers(AbortSignal.timeout(5000));
    return listed.ok ? listed.value : [];
  }

  async provisionUpTo(count: number): Promise<void> {
    const { manager, candidates } = this.world;
    const wanted = candidates.slice(0, count);
    const missing = wanted.filter((name) => !manager.running(name));
    if (missing.length > 0) await this.apply("provision", { servers: missing });
    await this.until(async () => {
      const up = new Set((await this.servers()).filter((s) => s.status === "UP").map((s) => s.name));
      return wanted.every((name) => up.has(name));
    });
  }

  /** Old instances out of the endpoints and terminated (graceful, killed after the grace period). */
  async scaleDownLegacy(): Promise<void> {
    const { legacy, manager } = this.world;
    await this.apply("drain", { servers: [...legacy] });
    await this.apply("retire", { servers: [...legacy] });
    await this.until(() => legacy.every((name) => !manager.running(name)));
  }

  /** Router-wide request and error counters. */
  async counters(): Promise<{ requests: number; errors: number }> {
    const servers = await this.servers();
    return {
      requests: servers.reduce((sum, s) => sum + s.requestsTotal, 0),
      errors: servers.reduce((sum, s) => sum + s.errorsTotal, 0),
    };
  }
}

async function outcomeOf(body: () => Promise<PeerOutcome>): Promise<PeerOutcome> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof ActionFailed) return { status: "failed", message: error.message };
    throw error;
  }
}

/** Runs `naive` to its end. */
export function runNaive(world: PeerWorld): Promise<PeerOutcome> {
  const driver = new Driver(world);
  return outcomeOf(async () => {
    await driver.provisionUpTo(world.candidates.length);
    await driver.apply("weight", { candidatePercent: 100 });
    await driver.scaleDownLegacy();
    return { status: "completed" };
  });
}

/** Runs a timer canary with `settings` to its end or its abort. */
export function runTimerCanary(world: PeerWorld, settings: TimerPeerSettings): Promise<PeerOutcome> {
  const driver = new Driver(world);
  return outcomeOf(async () => {
    for (const percent of world.weightSteps) {
      await driver.provisionUpTo(Math.ceil((percent / 100) * world.candidates.length));
      await driver.apply("weight", { candidatePercent: percent });
      const before = await driver.counters();
      await sleep(settings.pauseMs);
      const after = await driver.counters();
      const requests = after.requests - before.requests;
      const rate = requests === 0 ? 0 : (after.errors - before.errors) / requests;
      if (rate > settings.maxErrorRate) {
        const abortedAtMs = Date.now();
        await driver.apply("weight", { candidatePercent: 0 });
        await Promise.all(world.candidates.map((name) => world.manager.terminate(name, settings.terminationGraceMs)));
        return {
          status: "aborted",
          abortedAtMs,
          message: `analysis failed: error rate ${(rate * 100).toFixed(2)}% > ${(settings.maxErrorRate * 100).toFixed(2)}%`,
        };
      }
    }
    await sleep(settings.scaleDownDelayMs);
    await driver.scaleDownLegacy();
    return { status: "completed" };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
