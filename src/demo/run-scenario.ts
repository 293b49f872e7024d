/**
 * One demo scenario: put the fleet in its starting state (all traffic on v1;
 * for the bad release, one candidate failing half of its requests), write and
 * submit the plan, follow the operation while the load generator counts each
 * phase, and report.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LoadedPlan, loadPlanFile } from "../cli/load-plan.ts";
import type { Registries } from "../cli/wiring.ts";
import type { LoadGenerator, LoadSummary } from "../sample/load-generator.ts";
import type { Store, StoredEvent } from "../store/store.ts";
import { renderDemoPlan } from "./demo-plan.ts";
import { type DemoRouter, startingWeight } from "./demo-router.ts";
import {
  type HaltTimeline,
  haltEvidence,
  type PhaseReport,
  type ScenarioName,
  type ScenarioReport,
  stageReports,
} from "./demo-summary.ts";
import { watchFleet } from "./fleet-watch.ts";
import { createOperation, followOperation, waitForThaw } from "./follow-operation.ts";
import type { SampleFleet } from "./sample-fleet.ts";

/** The candidate that fails in the bad release. */
export const BAD_NODE = "v2-b";

/** Its error rate there. */
export const BAD_ERROR_RATE = 0.5;

/** What a scenario runs against. */
export interface ScenarioContext {
  readonly store: Store;
  readonly registries: Registries;
  readonly dir: string;
  readonly fleet: SampleFleet;
  readonly router: DemoRouter;
  readonly load: LoadGenerator;
  readonly latencyUrl: string;
  /** Starts the latency monitor's window for a cohort afresh. */
  readonly resetLatency: (cohort: "legacy" | "candidate") => void;
  readonly bakeMs: number;
  readonly signal: AbortSignal;
  /** Progress for the terminal (or the JSON stream). */
  readonly onEvent: (scenario: ScenarioName, event: StoredEvent, loaded: LoadedPlan) => void;
  readonly onStatus: (text: string) => void;
  readonly note: (text: string) => void;
}

/** Steady load before and after the operation, so each phase's counts have a baseline. */
const QUIET_MS = 1500;

/** A scenario that has not ended after this long is reported as it stands. */
const SCENARIO_DEADLINE_MS = 120_000;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Sets every node's behaviour and the router's weights to the scenario's
 * start, then waits until every server is UP. Weight changes never cut
 * requests, so this is graceful even under load.
 */
async function prepareFleet(ctx: ScenarioContext, scenario: ScenarioName): Promise<void> {
  for (const node of ctx.fleet.nodes) {
    const bad = scenario === "bad" && node.name === BAD_NODE;
    await ctx.fleet.configure(node.name, { errorRate: bad ? BAD_ERROR_RATE : 0 });
    const signal = AbortSignal.timeout(5000);
    const weighted = await ctx.router.driver.setWeight(node.name, startingWeight(node), signal);
    const ready = await ctx.router.driver.setState(node.name, "ready", signal);
    if (!weighted.ok || !ready.ok) throw new Error(`cannot reset ${node.name} at the router`);
  }
  for (let attempt = 0; ; attempt += 1) {
    const servers = await ctx.router.driver.servers(AbortSignal.timeout(5000));
    if (servers.ok && servers.value.every((server) => server.status === "UP")) return;
    if (attempt > 100 || ctx.signal.aborted) throw new Error("the fleet did not become healthy at the router");
    await sleep(100, ctx.signal);
  }
}

async function writePlan(ctx: ScenarioContext, scenario: ScenarioName): Promise<LoadedPlan> {
  const file = join(ctx.dir, `demo-${scenario}.yaml`);
  writeFileSync(file, demoPlanText(ctx, scenario));
  const loaded = await loadPlanFile(file, ctx.registries);
  if (!loaded.ok) throw new Error(`the generated plan does not validate:\n${loaded.lines.join("\n")}`);
  return loaded.loaded;
}

/** The plan text a scenario runs (also what `--print-plan` shows). Pure. */
export function demoPlanText(
  ctx: Pick<ScenarioContext, "router" | "latencyUrl" | "bakeMs">,
  scenario: ScenarioName,
): string {
  return renderDemoPlan({
    name: `demo-${scenario}-release`,
    target: ctx.router.target,
    latencyUrl: ctx.latencyUrl,
    bakeMs: ctx.bakeMs,
  });
}

/** The load phase an event starts, if any. */
function phaseOf(event: StoredEvent): string | undefined {
  const data = event.data as { readonly stage?: unknown; readonly track?: unknown } | null;
  if (event.type === "StageStarted" && typeof data?.stage === "string")
    return data.track === "rollback" ? `rollback ${data.stage}` : data.stage;
  if (event.type === "Halted") return "halted";
  if (event.type === "OperationCompleted" || event.type === "RolledBack") return "after";
  return undefined;
}

function phaseReports(summary: LoadSummary, prefix: string): PhaseReport[] {
  return Object.entries(summary.byPhase)
    .filter(([phase]) => phase.startsWith(prefix))
    .map(([phase, counts]) => ({
      phase: phase.slice(prefix.length),
      requests: counts.requests,
      failures: counts.failures,
      failuresByReason: counts.failuresByReason,
      p50Ms: counts.p50Ms,
      p99Ms: counts.p99Ms,
    }));
}

/** Runs one scenario to its end and reports it. */
export async function runScenario(ctx: ScenarioContext, scenario: ScenarioName): Promise<ScenarioReport> {
  const startedAtMs = Date.now();
  const prefix = `${scenario}: `;
  ctx.note(
    scenario === "good"
      ? "good release: v2 behaves like v1"
      : `bad release: ${BAD_NODE} fails ${BAD_ERROR_RATE * 100}% of its requests; every other node is fine`,
  );
  await prepareFleet(ctx, scenario);
  // The candidate's p99 window must hold this scenario's requests only (the quiet
  // period below lets the monitor scrape it again before the plan's preflight).
  ctx.resetLatency("candidate");
  ctx.load.setPhase(`${prefix}before`);
  await sleep(QUIET_MS, ctx.signal);
  const loaded = await writePlan(ctx, scenario);
  const candidates = ctx.fleet.nodes.filter((node) => node.cohort === "candidate").map((node) => node.name);
  const watch = scenario === "bad" ? watchFleet(ctx.router.driver, candidates) : undefined;
  await waitForThaw(ctx.store, loaded.plan.domain, ctx.signal, ctx.note);
  const operation = await createOperation(ctx.store, loaded);
  let followed: Awaited<ReturnType<typeof followOperation>>;
  try {
    followed = await followOperation(
      ctx.store,
      loaded,
      operation.id,
      {
        onEvent: (event) => {
          const phase = phaseOf(event);
          if (phase !== undefined) ctx.load.setPhase(`${prefix}${phase}`);
          ctx.onEvent(scenario, event, loaded);
        },
        onStatus: ctx.onStatus,
      },
      { pollMs: 50, deadlineMs: Date.now() + SCENARIO_DEADLINE_MS, signal: ctx.signal },
    );
    await sleep(QUIET_MS, ctx.signal);
  } finally {
    await watch?.stop();
  }
  const load = ctx.load.summary();
  const phases = phaseReports(load, prefix);
  const report: ScenarioReport = {
    scenario,
    operation: operation.id,
    outcome: followed.status,
    durationMs: Date.now() - startedAtMs,
    requests: phases.reduce((sum, phase) => sum + phase.requests, 0),
    failedRequests: phases.reduce((sum, phase) => sum + phase.failures, 0),
    phases,
    stages: stageReports(followed.events),
  };
  if (scenario === "good") return report;
  const evidence = haltEvidence(followed.events);
  const timeline = haltTimeline(followed.events, watch?.firstErrorAtMs(BAD_NODE), (afterMs) =>
    watch?.candidateOutAtMs(afterMs),
  );
  return {
    ...report,
    badNode: BAD_NODE,
    ...(evidence === undefined ? {} : { haltEvidence: evidence }),
    ...(timeline === undefined
      ? {}
      : {
          haltTimeline: timeline,
          haltLatencyMs:
            timeline.candidateOutAtMs === null ? null : timeline.candidateOutAtMs - timeline.firstErrorAtMs,
        }),
  };
}

function haltTimeline(
  events: readonly StoredEvent[],
  firstErrorAtMs: number | undefined,
  candidateOutAtMs: (afterMs: number) => number | undefined,
): HaltTimeline | undefined {
  const halted = events.find((event) => event.type === "Halted");
  if (halted === undefined || firstErrorAtMs === undefined) return undefined;
  const out = candidateOutAtMs(halted.atMs) ?? null;
  return {
    firstErrorAtMs,
    haltedAtMs: halted.atMs,
    candidateOutAtMs: out,
    detectMs: halted.atMs - firstErrorAtMs,
    outOfServiceMs: out === null ? null : out - halted.atMs,
  };
}
