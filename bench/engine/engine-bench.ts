/**
 * One run of the engine benchmark, in this process: `operations` operations
 * on as many domains, each with its own real `Runner` over one SQLite store
 * (a temporary file in WAL mode), the real engine and detector, a fake
 * target and 20 synthetic sensors, ticked once per virtual second for
 * `virtualSeconds`. CPU is measured per round (one tick of every live
 * operation); peak RSS is sampled every round and taken from the kernel.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRuntime, type Registries, type Runtime } from "../../src/cli/wiring.ts";
import { VirtualClock } from "../../src/engine/clock.ts";
import { engine } from "../../src/engine/engine.ts";
import { Runner, type RunnerStop, toJson } from "../../src/engine/runner.ts";
import { parsePlan } from "../../src/plan/parse.ts";
import type { Plan } from "../../src/plan/types.ts";
import { fakeSensorDefinition } from "../../src/sensors/fake/fake-sensor.ts";
import { sensorRegistry } from "../../src/sensors/registry.ts";
import type { SensorDefinition } from "../../src/sensors/sensor.ts";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { OperationStatus, Store } from "../../src/store/store.ts";
import { fakeTargetDefinition } from "../../src/targets/fake/fake-target.ts";
import { targetRegistry } from "../../src/targets/registry.ts";
import type { TargetDefinition } from "../../src/targets/target.ts";
import { type BenchPlanOptions, benchPlanSource } from "./bench-plan.ts";
import { median } from "./stats.ts";
import { syntheticSensorDefinition } from "./synthetic-sensor.ts";

/** What one run simulates. */
export interface EngineBenchConfig extends BenchPlanOptions {
  readonly operations: number;
  readonly virtualSeconds: number;
  /** Passed to every runner; `undefined` keeps the runner's default. */
  readonly checkpointMs?: number;
  /** Called after setup (round 0) and after every round, e.g. to print progress. */
  readonly onRound?: (round: number, liveOperations: number) => void;
}

/** What one run measured. CPU is user + system time of this process. */
export interface EngineBenchRun {
  /** Median over rounds of (round CPU ms / operations ticked in the round). */
  readonly cpuMsPerOperationTickMedian: number;
  /** Total tick CPU ms / total operation-ticks. */
  readonly cpuMsPerOperationTickMean: number;
  /**
   * CPU ms of reading all 20 synthetic sensors once, per operation, measured
   * alone after the run: the benchmark's own sensors' share of the per-tick
   * figures (a real sensor's cost is its own business, not the engine's).
   */
  readonly sensorReadsCpuMsPerOperationTick: number;
  /** CPU ms of creating the operations and starting their runners (not in the per-tick figures). */
  readonly setupCpuMs: number;
  /** Highest `process.memoryUsage().rss` sampled (after every round), in MB. */
  readonly sampledPeakRssMb: number;
  /** `process.resourceUsage().maxRSS` at the end, in MB (the kernel's high-water mark for this process). */
  readonly maxRssMb: number;
  readonly rounds: number;
  readonly operationTicks: number;
  readonly wallMs: number;
  /** Wall ms of the slowest round (a loaded machine shows here). */
  readonly longestRoundMs: number;
  /**
   * Runners that found their lease taken anew because a round outlasted the
   * lease (15 s by default) on an overloaded machine; each was replaced, as
   * `airlock run` does. 0 on a healthy run.
   */
  readonly leaseLosses: number;
  /** Final status → count; a healthy run has every operation `completed`. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Events committed over the run. */
  readonly events: number;
}

const MB = 1024 * 1024;
const START_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

function benchRegistries(): Registries {
  return {
    sensors: sensorRegistry([syntheticSensorDefinition, fakeSensorDefinition] as SensorDefinition[]),
    targets: targetRegistry([fakeTargetDefinition] as TargetDefinition[]),
  };
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

/** One benchmark operation: its plan, live parts and current runner. */
interface BenchOperation {
  readonly id: string;
  readonly plan: Plan;
  readonly runtime: Runtime;
  runner: Runner;
}

async function createOperation(
  store: Store,
  registries: Registries,
  clock: VirtualClock,
  index: number,
  config: EngineBenchConfig,
): Promise<BenchOperation> {
  const file = `bench-${index}.json`;
  const source = benchPlanSource(index, config);
  const parsed = parsePlan(source, file, registries);
  if (!parsed.ok) throw new Error(`bench plan invalid: ${JSON.stringify(parsed.errors)}`);
  const { plan, hash } = parsed;
  const id = `op-${index}`;
  const created = await store.createOperation({
    id,
    planName: plan.name,
    domain: plan.domain,
    planHash: hash,
    planSource: source,
    planFile: file,
    state: toJson(engine.initialState(id, plan)),
  });
  if (!created.ok) throw new Error(`cannot create ${id}: ${created.message}`);
  const runtime = buildRuntime(plan, file, registries);
  const parts = { id, plan, runtime };
  return { ...parts, runner: newRunner(store, clock, parts, config) };
}

function newRunner(
  store: Store,
  clock: VirtualClock,
  operation: Omit<BenchOperation, "runner">,
  config: EngineBenchConfig,
): Runner {
  return new Runner({
    store,
    engine,
    plan: operation.plan,
    operationId: operation.id,
    target: operation.runtime.target,
    targetDefinition: operation.runtime.targetDefinition,
    sensors: operation.runtime.sensors,
    clock,
    holder: "bench",
    ...(config.checkpointMs === undefined ? {} : { checkpointMs: config.checkpointMs }),
  });
}

/** Runs the benchmark once. Cleans its temporary store up even when it throws. */
export async function runEngineBench(config: EngineBenchConfig): Promise<EngineBenchRun> {
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-engine-"));
  const store = openSqliteStore(join(dir, "airlock.db"));
  const clock = new VirtualClock(START_MS);
  const operations: BenchOperation[] = [];
  try {
    await store.migrate();
    const registries = benchRegistries();
    const setupStartCpuMs = cpuMs();
    for (let i = 0; i < config.operations; i += 1) {
      operations.push(await createOperation(store, registries, clock, i, config));
    }
    // Leases are taken only now, so a slow setup on a loaded machine cannot let the first ones lapse.
    const started = await Promise.all(operations.map((operation) => operation.runner.start()));
    const notStarted = started.find((stop) => stop !== undefined);
    if (notStarted !== undefined) throw new Error(`a runner did not start: ${JSON.stringify(notStarted)}`);
    const setupCpuMs = cpuMs() - setupStartCpuMs;
    config.onRound?.(0, operations.length);
    let live = operations;
    const perOperationTickMs: number[] = [];
    let tickCpuMs = 0;
    let operationTicks = 0;
    let leaseLosses = 0;
    let longestRoundMs = 0;
    let sampledPeakRss = process.memoryUsage().rss;
    const wallStartMs = performance.now();
    let rounds = 0;
    for (; rounds < config.virtualSeconds && live.length > 0; rounds += 1) {
      clock.advance(1_000);
      const roundStartMs = performance.now();
      const before = cpuMs();
      const stops: (RunnerStop | undefined)[] = [];
      // One tick after another, as the controller's runners run them: each runner's tick starts from its
      // own timer, and Node drains a timer's microtasks before the next timer fires, so ticks whose sensors
      // answer without I/O never interleave. (With I/O-bound sensors ticks overlap while they wait, at the
      // same CPU per tick.)
      for (const operation of live) stops.push(await operation.runner.tick());
      const roundCpuMs = cpuMs() - before;
      longestRoundMs = Math.max(longestRoundMs, performance.now() - roundStartMs);
      tickCpuMs += roundCpuMs;
      operationTicks += live.length;
      perOperationTickMs.push(roundCpuMs / live.length);
      sampledPeakRss = Math.max(sampledPeakRss, process.memoryUsage().rss);
      const next: BenchOperation[] = [];
      for (const [i, operation] of live.entries()) {
        const stop = stops[i];
        if (stop === undefined) next.push(operation);
        else if (stop.kind === "lease-lost") {
          // As `airlock run` does: a fresh runner re-reads the state and takes the lease again.
          leaseLosses += 1;
          operation.runner = newRunner(store, clock, operation, config);
          const restarted = await operation.runner.start();
          if (restarted !== undefined) throw new Error(`${operation.id} did not restart: ${JSON.stringify(restarted)}`);
          next.push(operation);
        } else if (stop.kind !== "terminal") throw new Error(`${operation.id} stopped: ${JSON.stringify(stop)}`);
      }
      live = next;
      config.onRound?.(rounds + 1, live.length);
      // Real runners sleep between ticks: let due timers and I/O callbacks run, as they would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const wallMs = performance.now() - wallStartMs;
    const runtimes = operations.map((operation) => operation.runtime);
    const sensorReadsCpuMsPerOperationTick = await sensorReadCost(runtimes, clock);
    return {
      cpuMsPerOperationTickMedian: median(perOperationTickMs),
      cpuMsPerOperationTickMean: tickCpuMs / Math.max(1, operationTicks),
      sensorReadsCpuMsPerOperationTick,
      setupCpuMs,
      sampledPeakRssMb: sampledPeakRss / MB,
      maxRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
      rounds,
      operationTicks,
      wallMs,
      longestRoundMs,
      leaseLosses,
      statuses: await countStatuses(store),
      events: await countEvents(store, config.operations),
    };
  } finally {
    await Promise.allSettled(operations.map((operation) => operation.runtime.close()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median over a few rounds of the CPU ms it takes to read every sensor of every operation once, per operation. */
async function sensorReadCost(runtimes: readonly Runtime[], clock: VirtualClock): Promise<number> {
  const signal = new AbortController().signal;
  const perOperation: number[] = [];
  for (let round = 0; round < 10; round += 1) {
    const ctx = { nowMs: clock.nowMs() + round * 1_000, signal, stageAppliedAtMs: clock.nowMs() };
    const before = cpuMs();
    await Promise.all(runtimes.flatMap((runtime) => Object.values(runtime.sensors).map((sensor) => sensor.read(ctx))));
    perOperation.push((cpuMs() - before) / Math.max(1, runtimes.length));
  }
  return median(perOperation);
}

async function countStatuses(store: Store): Promise<Record<string, number>> {
  const counts: Partial<Record<OperationStatus, number>> = {};
  for (const record of await store.listOperations({ limit: 1_000_000 })) {
    counts[record.status] = (counts[record.status] ?? 0) + 1;
  }
  return counts;
}

async function countEvents(store: Store, operations: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < operations; i += 1) total += (await store.listEvents(`op-${i}`, 0, 1_000_000)).length;
  return total;
}
