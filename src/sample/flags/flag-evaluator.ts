/**
 * The sample service's OpenFeature in-process flag evaluation: a
 * `FlagdCore` fed from a flagd flag definition file that it polls every
 * `reloadMs` (a changed inode, size or mtime triggers a reload; an atomic
 * rename always changes the inode). A file that fails flagd's strict
 * validation is not loaded: the evaluator keeps the last good definition
 * (and its revision) and counts the failed reload.
 *
 * Metrics (Prometheus, every series labelled `instance`):
 * - `sample_flag_revision{flag}`: the `metadata.airlockRevision` it evaluates (0 unstamped; absent until loaded)
 * - `sample_flag_requests_total{flag,variant}`, `sample_flag_errors_total{flag,variant}`
 * - `sample_flag_reloads_total{flag,outcome="ok"|"error"}`
 */
import { readFile, stat } from "node:fs/promises";
import type { FlagValueType, Logger } from "@openfeature/core";
import { FlagdCore, MemoryStorage } from "@openfeature/flagd-core";
import { Counter, Gauge, Registry } from "prom-client";

/** What to evaluate and how requests behave. */
export interface FlagEvaluatorOptions {
  /** The flagd flag definition file (JSON). */
  readonly file: string;
  /** The flag key requests evaluate. */
  readonly flag: string;
  /** How often the file is checked for changes, in ms. */
  readonly reloadMs: number;
  /** Share (0–1) of requests answered 500, per variant; absent variants never fail. */
  readonly errorRates: Readonly<Record<string, number>>;
}

/** One answered flag request. */
export interface FlagAnswer {
  readonly status: number;
  readonly body: { readonly [key: string]: string | number | boolean | null };
}

/** A running evaluator. */
export interface FlagEvaluator {
  /** Evaluates the flag for `targetingKey` (a fresh random key when absent) and counts the outcome. */
  request(targetingKey: string | undefined): FlagAnswer;
  /** The revision in force, or `undefined` before a definition has loaded. */
  revision(): number | undefined;
  /** Checks the file now (the poll does this every `reloadMs`). Never rejects. */
  reload(): Promise<void>;
  /** The metrics in exposition format. */
  metricsText(): Promise<string>;
  /** Stops polling. Idempotent. */
  close(): void;
}

const SILENT: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

function valueType(value: unknown): FlagValueType {
  if (typeof value === "boolean" || typeof value === "string" || typeof value === "number")
    return typeof value as FlagValueType;
  return "object";
}

/**
 * Loads the file once (a missing or invalid file leaves the flag unloaded:
 * requests answer 503), then polls it. `random` picks errors and targeting keys.
 */
export async function startFlagEvaluator(
  options: FlagEvaluatorOptions,
  instance: string,
  random: () => number,
): Promise<FlagEvaluator> {
  const storage = new MemoryStorage(SILENT);
  const core = new FlagdCore(storage, SILENT);
  const registry = new Registry();
  registry.setDefaultLabels({ instance });
  const flag = options.flag;
  let loadedRevision: number | undefined;
  new Gauge({
    name: "sample_flag_revision",
    help: "The airlockRevision of the flag definition this instance evaluates.",
    labelNames: ["flag"],
    registers: [registry],
    collect() {
      this.reset();
      if (loadedRevision !== undefined) this.set({ flag }, loadedRevision);
    },
  });
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const requests = counter("sample_flag_requests_total", "Flag requests by variant served.", ["flag", "variant"]);
  const errors = counter("sample_flag_errors_total", "Flag requests answered with an error, by variant.", [
    "flag",
    "variant",
  ]);
  const reloads = counter("sample_flag_reloads_total", "Flag file reloads by outcome.", ["flag", "outcome"]);

  let seen = "";
  const reload = async (): Promise<void> => {
    let text: string;
    try {
      const info = await stat(options.file);
      const identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (identity === seen) return;
      seen = identity;
      text = await readFile(options.file, "utf8");
    } catch {
      return; // a missing file keeps the last good definition
    }
    try {
      storage.setConfigurations(text, true);
    } catch {
      reloads.inc({ flag, outcome: "error" });
      return;
    }
    reloads.inc({ flag, outcome: "ok" });
    const definition = core.getFlag(flag);
    const revision = definition?.metadata.airlockRevision;
    loadedRevision = definition === undefined ? undefined : typeof revision === "number" ? revision : 0;
    for (const variant of definition?.variants.keys() ?? []) {
      requests.inc({ flag, variant }, 0);
      errors.inc({ flag, variant }, 0);
    }
  };

  await reload();
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void reload().finally(() => {
      polling = false;
    });
  }, options.reloadMs);
  timer.unref();

  return {
    request(targetingKey) {
      const definition = core.getFlag(flag);
      const revision = loadedRevision ?? null;
      if (definition === undefined) return { status: 503, body: { flag, error: "flag not loaded", revision } };
      const defaultValue = definition.variants.get(definition.defaultVariant ?? "");
      const key = targetingKey ?? `user-${Math.floor(random() * 1e9)}`;
      const resolution = core.resolve(valueType(defaultValue), flag, defaultValue ?? false, { targetingKey: key });
      const variant = resolution.variant ?? "none";
      requests.inc({ flag, variant });
      const value = typeof resolution.value === "object" ? JSON.stringify(resolution.value) : resolution.value;
      if (resolution.reason === "ERROR" || random() < (options.errorRates[variant] ?? 0)) {
        errors.inc({ flag, variant });
        return { status: 500, body: { flag, variant, revision, error: resolution.errorMessage ?? "injected failure" } };
      }
      return { status: 200, body: { flag, variant, value, revision } };
    },
    revision: () => loadedRevision,
    reload,
    metricsText: () => registry.metrics(),
    close: () => clearInterval(timer),
  };
}
