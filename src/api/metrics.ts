/**
 * `/metrics` in Prometheus format (prom-client, own registry, every name
 * prefixed `airlock_`). Operation gauges are computed at scrape time from
 * the store and the local runners' fresh states (one snapshot per scrape);
 * halts, notifications and tick durations are counted as they happen in this
 * process.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { cursorOf } from "../engine/halt.ts";
import type { OperationState, Phase } from "../engine/types.ts";
import type { Freeze, OperationRecord, Store, StoredEvent } from "../store/store.ts";
import type { PlanCache } from "./plan-cache.ts";
import type { Telemetry } from "./telemetry.ts";

/** Where scrape-time gauges come from. */
export interface MetricsSources {
  readonly store: Store;
  readonly plans: PlanCache;
  readonly telemetry: Telemetry;
  /** Fresh state of an operation run here. */
  readonly stateOf: (operationId: string) => OperationState | undefined;
  /** Operations run here now. */
  readonly running: () => readonly string[];
}

const PHASES: readonly Phase["kind"][] = [
  "pending",
  "waiting",
  "applying",
  "sealing",
  "halted",
  "completed",
  "rolled_back",
  "failed",
  "abandoned",
];

/** Ended operations still reported (newest first), so a completion is visible to a scrape after it. */
const RECENT_ENDED = 50;

interface Snapshot {
  readonly operations: readonly { readonly record: OperationRecord; readonly state: OperationState }[];
  readonly freezes: readonly Freeze[];
}

/** The server's metrics. */
export class ApiMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  readonly #sources: MetricsSources;
  readonly #halts: Counter<"domain" | "reason">;
  readonly #notifications: Counter<"outcome">;
  readonly #tick: Histogram;
  #snapshot: { readonly atMs: number; readonly value: Promise<Snapshot> } | undefined;

  /** Registers every metric; scrape-time gauges read `sources`. */
  constructor(sources: MetricsSources) {
    this.#sources = sources;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "airlock_" });
    this.#halts = new Counter({
      name: "airlock_halts_total",
      help: "Halts seen by this controller, by domain and reason code.",
      labelNames: ["domain", "reason"],
      registers,
    });
    this.#notifications = new Counter({
      name: "airlock_notifications_total",
      help: "Webhook notifications by outcome: sent, failed (retries exhausted or refused), dropped (queue full).",
      labelNames: ["outcome"],
      registers,
    });
    this.#tick = new Histogram({
      name: "airlock_controller_tick_duration_seconds",
      help: "Duration of one runner tick: sensor reads, world facts and the engine transition.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#operationGauges(registers);
  }

  /** Counts what an event means for metrics (halts). Call with every committed event. */
  observeEvent(event: StoredEvent, domain: string): void {
    if (event.type !== "Halted") return;
    const data = event.data;
    const code =
      typeof data === "object" && data !== null && !Array.isArray(data) ? (data as { code?: unknown }).code : undefined;
    this.#halts.inc({ domain, reason: typeof code === "string" ? code : "unknown" });
  }

  /** Records one tick's duration in seconds. */
  observeTick(seconds: number): void {
    this.#tick.observe(seconds);
  }

  /** Counts one notification outcome. */
  observeNotification(outcome: "sent" | "failed" | "dropped"): void {
    this.#notifications.inc({ outcome });
  }

  #operationGauges(registers: Registry[]): void {
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (g: Gauge<L>, snapshot: Snapshot) => void,
    ): void => {
      const snapshot = (): Promise<Snapshot> => this.#snap();
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          fill(this, await snapshot());
        },
      });
    };
    gauge(
      "airlock_operation_phase",
      "1 for the operation's current phase, 0 for the others.",
      ["operation", "plan", "domain", "phase"],
      (g, { operations }) => {
        for (const { record, state } of operations) {
          for (const phase of PHASES) g.set({ ...labelsOf(record), phase }, state.phase.kind === phase ? 1 : 0);
        }
      },
    );
    gauge(
      "airlock_operation_stage_index",
      "0-based index of the operation's current forward stage; the number of stages once completed.",
      ["operation", "plan", "domain"],
      (g, { operations }) => {
        for (const { record, state } of operations)
          g.set(labelsOf(record), stageIndex(state, this.#stageCount(record)));
      },
    );
    gauge(
      "airlock_operation_stages_sealed",
      "Forward stages sealed so far.",
      ["operation", "plan", "domain"],
      (g, { operations }) => {
        for (const { record, state } of operations) g.set(labelsOf(record), sealedCount(state));
      },
    );
    gauge(
      "airlock_gate_ok",
      "1 when a gate condition of the current stage holds, else 0.",
      ["operation", "stage", "gate", "label"],
      (g, { operations }) => {
        for (const { record, state } of operations) {
          const stage = this.#currentStage(record, state);
          for (const check of state.gateChecks) {
            g.set({ operation: record.id, stage, gate: check.gate, label: check.label }, check.ok ? 1 : 0);
          }
        }
      },
    );
    gauge(
      "airlock_gate_value",
      "Observed value of a gate condition of the current stage (conditions with a numeric observation).",
      ["operation", "stage", "gate", "label"],
      (g, { operations }) => {
        for (const { record, state } of operations) {
          const stage = this.#currentStage(record, state);
          for (const check of state.gateChecks) {
            const value = leadingNumber(check.observed);
            if (value !== undefined)
              g.set({ operation: record.id, stage, gate: check.gate, label: check.label }, value);
          }
        }
      },
    );
    gauge("airlock_freeze", "1 while a domain (or `*`, everything) is frozen.", ["domain"], (g, { freezes }) => {
      for (const freeze of freezes) g.set({ domain: freeze.domain }, 1);
    });
    gauge(
      "airlock_detector_score",
      "Latest supercriticality score per node as a fraction of its alarm threshold (1 halts); operations run here.",
      ["operation", "node"],
      (g) => {
        for (const operation of this.#sources.telemetry.operations()) {
          const latest = this.#sources.telemetry.latestScores(operation);
          for (const [node, score] of Object.entries(latest?.values ?? {})) g.set({ operation, node }, score);
        }
      },
    );
    gauge("airlock_controller_operations_running", "Operations this controller runs now.", [], (g) => {
      g.set(this.#sources.running().length);
    });
  }

  /** One store read per scrape, shared by every gauge. */
  #snap(): Promise<Snapshot> {
    const nowMs = Date.now();
    if (this.#snapshot !== undefined && nowMs - this.#snapshot.atMs < 500) return this.#snapshot.value;
    const value = this.#load();
    this.#snapshot = { atMs: nowMs, value };
    return value;
  }

  async #load(): Promise<Snapshot> {
    const { store, stateOf } = this.#sources;
    const [live, recent, freezes] = await Promise.all([
      store.listOperations({ live: true, limit: 1000 }),
      store.listOperations({ limit: RECENT_ENDED }),
      store.activeFreezes(),
    ]);
    const byId = new Map<string, OperationRecord>();
    for (const record of [...live, ...recent]) byId.set(record.id, record);
    const operations = [...byId.values()].map((record) => ({
      record,
      state: stateOf(record.id) ?? (record.state as unknown as OperationState),
    }));
    return { operations, freezes };
  }

  #stageCount(record: OperationRecord): number {
    return this.#sources.plans.planOf(record)?.stages.length ?? 0;
  }

  #currentStage(record: OperationRecord, state: OperationState): string {
    const phase = state.phase;
    const cursor = cursorOf(phase.kind === "halted" ? phase.interrupted : phase);
    if (cursor === undefined) return "";
    if (cursor.track === "rollback") return state.rollbackSteps?.[cursor.index]?.name ?? `rollback-${cursor.index}`;
    return this.#sources.plans.planOf(record)?.stages[cursor.index]?.name ?? `stage-${cursor.index}`;
  }
}

function labelsOf(record: OperationRecord): { operation: string; plan: string; domain: string } {
  return { operation: record.id, plan: record.planName, domain: record.domain };
}

function sealedCount(state: OperationState): number {
  return state.stageTimes.filter((times) => times.sealedAtMs !== undefined).length;
}

function stageIndex(state: OperationState, stageCount: number): number {
  if (state.phase.kind === "completed") return stageCount;
  const phase = state.phase;
  const cursor = cursorOf(phase.kind === "halted" ? phase.interrupted : phase);
  return cursor?.track === "forward" ? cursor.index : sealedCount(state);
}

/** The number a gate observation starts with (`143`, `0.02 (3 in a row)`), if any. */
function leadingNumber(text: string): number | undefined {
  const match = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/i.exec(text.trim());
  return match === null ? undefined : Number(match[0]);
}
