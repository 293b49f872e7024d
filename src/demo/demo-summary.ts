/**
 * What `airlock demo` reports: per scenario, the stages with their times and
 * what each gate waited for, the load generator's own counts per phase, and
 * for a halt its evidence and latency. Built from the operation's events;
 * printed for humans or as the last line of `--json`.
 */
import type { StoredEvent } from "../store/store.ts";
import type { Json } from "../targets/target.ts";

/** Which release the scenario plays. */
export type ScenarioName = "good" | "bad";

/** One gate of a sealed stage: how long after the action it first held. */
export interface GateWait {
  readonly gate: string;
  readonly label: string;
  readonly waitedMs: number;
}

/** One stage (forward or rollback). */
export interface StageReport {
  readonly stage: string;
  readonly track: "forward" | "rollback";
  readonly startedAtMs: number;
  /** From the stage's start until it sealed; `null` when it never sealed. */
  readonly durationMs: number | null;
  readonly waitedFor: readonly GateWait[];
}

/** The load generator's counts for one phase. */
export interface PhaseReport {
  readonly phase: string;
  readonly requests: number;
  readonly failures: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** Why the operation halted, as the detector or guard recorded it. */
export interface HaltEvidence {
  readonly code: string;
  readonly message: string;
  /** The node (or `cohort:candidate`) the evidence names; the guard name for a threshold guard. */
  readonly node: string | null;
  readonly errors: number | null;
  readonly requests: number | null;
  readonly rate: number | null;
  readonly referenceRate: number | null;
  readonly ratio: number | null;
  readonly score: number | null;
  readonly threshold: number | null;
}

/** Halt latency: first error on the bad node → `Halted` → candidate out of service (weights 0 at the router). */
export interface HaltTimeline {
  readonly firstErrorAtMs: number;
  readonly haltedAtMs: number;
  readonly candidateOutAtMs: number | null;
  /** Halted − first error. */
  readonly detectMs: number;
  /** Candidate out − Halted. */
  readonly outOfServiceMs: number | null;
}

/** One scenario's outcome. */
export interface ScenarioReport {
  readonly scenario: ScenarioName;
  readonly operation: string;
  readonly outcome: string;
  readonly durationMs: number;
  /** Requests the load generator completed during the scenario, and how many failed. */
  readonly requests: number;
  readonly failedRequests: number;
  readonly phases: readonly PhaseReport[];
  readonly stages: readonly StageReport[];
  /** The candidate made to fail (bad scenario). */
  readonly badNode?: string;
  readonly haltEvidence?: HaltEvidence;
  /** First error on the bad node → candidate out of service, in ms. */
  readonly haltLatencyMs?: number | null;
  readonly haltTimeline?: HaltTimeline;
}

/** The whole run (the last line of `--json`). */
export interface DemoSummary {
  readonly router: string;
  readonly ratePerSecond: number;
  readonly dashboardUrl: string | null;
  readonly totalMs: number;
  readonly scenarios: readonly ScenarioReport[];
}

function record(data: Json | undefined): { readonly [key: string]: Json } | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  return data as { readonly [key: string]: Json };
}

function text(data: Json | undefined, key: string): string | undefined {
  const value = record(data)?.[key];
  return typeof value === "string" ? value : undefined;
}

function numberOrNull(data: Json | undefined, key: string): number | null {
  const value = record(data)?.[key];
  return typeof value === "number" ? value : null;
}

/** Stages from an operation's events, in the order they started. Pure. */
export function stageReports(events: readonly StoredEvent[]): StageReport[] {
  const stages: StageReport[] = [];
  for (const event of events) {
    const stage = text(event.data, "stage");
    if (stage === undefined) continue;
    const track = text(event.data, "track") === "rollback" ? "rollback" : "forward";
    if (event.type === "StageStarted") {
      stages.push({ stage, track, startedAtMs: event.atMs, durationMs: null, waitedFor: [] });
    } else if (event.type === "StageSealed" || event.type === "StageForced") {
      const index = stages.findLastIndex((s) => s.stage === stage && s.track === track);
      const started = stages[index];
      if (started === undefined) continue;
      const gates = record(event.data)?.gates;
      const waitedFor = (Array.isArray(gates) ? gates : []).map((gate) => ({
        gate: text(gate, "gate") ?? "?",
        label: text(gate, "label") ?? text(gate, "gate") ?? "?",
        waitedMs: numberOrNull(gate, "waitedMs") ?? 0,
      }));
      stages[index] = { ...started, durationMs: event.atMs - started.startedAtMs, waitedFor };
    }
  }
  return stages;
}

/** The evidence of the operation's first `Halted` event, if any. Pure. */
export function haltEvidence(events: readonly StoredEvent[]): HaltEvidence | undefined {
  const halted = events.find((event) => event.type === "Halted");
  if (halted === undefined) return undefined;
  const recorded = record(halted.data)?.evidence;
  // The supercriticality guard records `{ guard, breaches: [...] }`: name a node if one breached.
  const breaches = record(recorded)?.breaches;
  const list = Array.isArray(breaches) ? breaches : [];
  const evidence = list.find((breach) => text(breach, "test") === "changed-node") ?? list[0] ?? recorded;
  return {
    code: text(halted.data, "code") ?? "?",
    message: text(halted.data, "message") ?? "",
    node: text(evidence, "subject") ?? text(evidence, "guard") ?? null,
    errors: numberOrNull(evidence, "errors"),
    requests: numberOrNull(evidence, "requests"),
    rate: numberOrNull(evidence, "rate"),
    referenceRate: numberOrNull(evidence, "referenceRate"),
    ratio: numberOrNull(evidence, "observedRatio"),
    score: numberOrNull(evidence, "score"),
    threshold: numberOrNull(evidence, "threshold"),
  };
}

const seconds = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** The human summary, one string per line. Pure. */
export function renderSummary(summary: DemoSummary): string[] {
  const lines = [""];
  for (const report of summary.scenarios) {
    lines.push(
      `${report.scenario} release: ${report.outcome.replace("_", " ")} in ${seconds(report.durationMs)} (operation ${report.operation})`,
    );
    for (const stage of report.stages) {
      const waited = stage.waitedFor.map((gate) => `${gate.label} ${seconds(gate.waitedMs)}`).join(", ");
      const name = `${stage.track === "rollback" ? "rollback: " : ""}${stage.stage}`;
      lines.push(
        `  ${name.padEnd(34)} ${stage.durationMs === null ? "not sealed" : `sealed after ${seconds(stage.durationMs)}`}${waited === "" ? "" : ` — waited for ${waited}`}`,
      );
    }
    lines.push(`  load generator: ${report.requests} requests, ${report.failedRequests} failed`);
    for (const phase of report.phases) {
      const reasons = Object.entries(phase.failuresByReason)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(", ");
      lines.push(
        `    ${phase.phase.padEnd(36)} ${String(phase.requests).padStart(6)} requests ${String(phase.failures).padStart(5)} failed${reasons === "" ? "" : ` (${reasons})`}  p50 ${phase.p50Ms ?? "—"} ms  p99 ${phase.p99Ms ?? "—"} ms`,
      );
    }
    const evidence = report.haltEvidence;
    if (evidence !== undefined) lines.push(`  halt (${evidence.code}): ${evidence.message}`);
    const timeline = report.haltTimeline;
    if (timeline !== undefined) {
      lines.push(
        `  halt latency: first error on ${report.badNode ?? "?"} → Halted ${seconds(timeline.detectMs)} → candidate out of service ${seconds(timeline.outOfServiceMs)} (total ${seconds(report.haltLatencyMs)})`,
      );
    }
  }
  lines.push(
    `total ${seconds(summary.totalMs)} (${summary.router} router, ${summary.ratePerSecond} requests/s open loop)`,
  );
  return lines;
}
