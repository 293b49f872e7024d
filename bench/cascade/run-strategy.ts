/**
 * Runs one strategy's rollout on the running stack: Airlock's plan through
 * `airlock run` in its own process, as an operator runs it (so the engine's
 * work never stalls this process's load generator), or a peer through the
 * same target the plan builds. Resolves when the rollout has ended.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPlanSource } from "../../src/cli/load-plan.ts";
import { buildRuntime, builtinRegistries } from "../../src/cli/wiring.ts";
import type { DemoRouter } from "../../src/demo/demo-router.ts";
import { runAirlockProcess } from "./airlock-process.ts";
import { renderCascadePlan } from "./cascade-plan.ts";
import type { FleetManager } from "./fleet-manager.ts";
import type { PeersFile } from "./peers-file.ts";
import { runNaive, runTimerCanary } from "./real-peers.ts";
import type { Strategy } from "./run-record.ts";
import { nodeNamesOf, type Workload } from "./workload.ts";

/** What a rollout needs. */
export interface RolloutContext {
  readonly workload: Workload;
  readonly peers: PeersFile;
  readonly router: DemoRouter;
  readonly manager: FleetManager;
  readonly postgresAddress: string;
  readonly dir: string;
  readonly signal: AbortSignal;
}

/** How a rollout ended. */
export interface RolloutEnd {
  readonly outcome: string;
  /** When the strategy stopped the release (Airlock's halt, a canary's abort), epoch ms. */
  readonly stoppedAtMs?: number;
  /** When the rollout itself began, epoch ms, if later than the run's start (Airlock's process start-up). */
  readonly startedAtMs?: number;
  readonly message?: string;
}

/** Runs `strategy` to its end. Throws only when the plan does not validate (a bug). */
export async function runStrategy(strategy: Strategy, ctx: RolloutContext): Promise<RolloutEnd> {
  const registries = builtinRegistries();
  const file = join(ctx.dir, "cascade-plan.yaml");
  const source = renderCascadePlan(ctx.workload, {
    name: `cascade-${strategy}`,
    target: ctx.router.target,
    managerAddress: ctx.manager.address,
    postgresAddress: ctx.postgresAddress,
  });
  writeFileSync(file, source);
  const loaded = loadPlanSource(source, file, registries);
  if (!loaded.ok) throw new Error(`the cascade plan does not validate:\n${loaded.lines.join("\n")}`);
  if (strategy === "airlock") return runAirlockProcess(file, ctx);
  const runtime = buildRuntime(loaded.loaded.plan, file, registries);
  try {
    const names = nodeNamesOf(ctx.workload);
    const world = {
      target: runtime.target,
      driver: ctx.router.driver,
      manager: ctx.manager,
      legacy: names.legacy,
      candidates: names.candidate,
      weightSteps: ctx.peers.weightSteps,
      signal: ctx.signal,
    };
    const ended = strategy === "naive" ? await runNaive(world) : await runTimerCanary(world, ctx.peers[strategy]);
    return {
      outcome: ended.status,
      ...(ended.abortedAtMs === undefined ? {} : { stoppedAtMs: ended.abortedAtMs }),
      ...(ended.message === undefined ? {} : { message: ended.message }),
    };
  } finally {
    await runtime.close();
  }
}
