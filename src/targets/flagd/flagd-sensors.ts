/**
 * The `flagd` target's sensors, from each evaluator's Prometheus metrics:
 *
 * - `revision`: vector per evaluator, the flag revision it evaluates;
 * - `propagated`: vector per evaluator, 1 when that revision is at least the
 *   one in the flag file now (the file is read each time), else 0;
 * - `requests` / `errors`: cumulative counters per `<evaluator>/<variant>`
 *   for the new and old variants, labelled `cohort: candidate | legacy`, so
 *   the supercriticality guard compares the new variant's cohort with the old one's.
 *
 * Fail closed: for `revision` and `propagated` an unreachable evaluator, or
 * one that reports no revision for the flag, fails the whole reading, naming
 * it (so `sensorBlind` applies). The counters leave such an evaluator out (the
 * detector then counts it blind); with none left the reading fails.
 */
import { failedReading } from "../../sensors/failed-reading.ts";
import type { ReadContext, Reading, Sensor } from "../../sensors/sensor.ts";
import { httpRequest } from "../../util/http-request.ts";
import { readFlagFile } from "./flag-file.ts";
import type { FlagdConfig } from "./flagd-config.ts";
import { type MetricSample, parsePrometheusText, sampleValue } from "./prometheus-text.ts";

type Evaluator = FlagdConfig["evaluators"][number];

/** One evaluator's scrape. */
type Scrape =
  | { readonly ok: true; readonly samples: readonly MetricSample[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Scrapes evaluators; concurrent reads of one evaluator share a request (the engine reads all sensors at once). */
class Scraper {
  readonly #inFlight = new Map<string, Promise<Scrape>>();

  constructor(readonly timeoutMs: number) {}

  scrape(evaluator: Evaluator, signal: AbortSignal): Promise<Scrape> {
    const pending = this.#inFlight.get(evaluator.name);
    if (pending !== undefined) return pending;
    const started = this.#fetch(evaluator, signal).finally(() => this.#inFlight.delete(evaluator.name));
    this.#inFlight.set(evaluator.name, started);
    return started;
  }

  async #fetch(evaluator: Evaluator, signal: AbortSignal): Promise<Scrape> {
    const response = await httpRequest({
      method: "GET",
      url: evaluator.url,
      headers: { accept: "text/plain" },
      timeoutMs: this.timeoutMs,
      signal,
      secrets: [],
    });
    if (!response.ok) return { ok: false, code: response.code, message: `${evaluator.name}: ${response.message}` };
    if (response.status !== 200) {
      return {
        ok: false,
        code: `http-${response.status}`,
        message: `${evaluator.name}: metrics answered ${response.status}`,
      };
    }
    const parsed = parsePrometheusText(response.body);
    return parsed.ok
      ? { ok: true, samples: parsed.samples }
      : { ok: false, code: "parse", message: `${evaluator.name}: ${parsed.message}` };
  }
}

/** The revision each evaluator reports, or a failure naming every evaluator without one. */
async function revisions(
  config: FlagdConfig,
  scraper: Scraper,
  signal: AbortSignal,
): Promise<{ ok: true; values: Record<string, number> } | { ok: false; code: string; message: string }> {
  const scrapes = await Promise.all(config.evaluators.map((e) => scraper.scrape(e, signal)));
  const values: Record<string, number> = {};
  const problems: { code: string; message: string }[] = [];
  for (const [index, evaluator] of config.evaluators.entries()) {
    const scrape = scrapes[index];
    if (scrape === undefined || !scrape.ok) {
      problems.push(scrape ?? { code: "missing", message: `${evaluator.name}: no scrape` });
      continue;
    }
    const revision = sampleValue(scrape.samples, config.metrics.revision, { flag: config.flag });
    if (revision === undefined || !Number.isFinite(revision)) {
      const found = revision === undefined ? "no" : "a malformed";
      problems.push({
        code: revision === undefined ? "empty" : "parse",
        message: `${evaluator.name}: ${found} ${config.metrics.revision}{flag="${config.flag}"}`,
      });
      continue;
    }
    values[evaluator.name] = revision;
  }
  const [first] = problems;
  if (first === undefined) return { ok: true, values };
  return { ok: false, code: first.code, message: problems.map((p) => p.message).join("; ") };
}

function counterSensor(config: FlagdConfig, scraper: Scraper, metric: string): Sensor {
  const cohorts = [
    { variant: config.variants.new, cohort: "candidate" },
    { variant: config.variants.old, cohort: "legacy" },
  ];
  return {
    async read(ctx: ReadContext): Promise<Reading> {
      const scrapes = await Promise.all(config.evaluators.map((e) => scraper.scrape(e, ctx.signal)));
      const observedAtMs = Date.now();
      const values: Record<string, number> = {};
      const labels: Record<string, Record<string, string>> = {};
      const missing: string[] = [];
      for (const [index, evaluator] of config.evaluators.entries()) {
        const scrape = scrapes[index];
        const knowsFlag =
          scrape?.ok === true &&
          sampleValue(scrape.samples, config.metrics.revision, { flag: config.flag }) !== undefined;
        if (scrape === undefined || !scrape.ok || !knowsFlag) {
          missing.push(scrape?.ok === false ? scrape.message : `${evaluator.name}: does not evaluate ${config.flag}`);
          continue;
        }
        for (const { variant, cohort } of cohorts) {
          const node = `${evaluator.name}/${variant}`;
          // A variant never served yet has no series: zero, since the evaluator does evaluate this flag.
          values[node] = sampleValue(scrape.samples, metric, { flag: config.flag, variant }) ?? 0;
          labels[node] = { cohort, evaluator: evaluator.name, variant };
        }
      }
      if (Object.keys(values).length === 0) return failedReading("unreachable", missing.join("; "), observedAtMs);
      return {
        ok: true,
        observedAtMs,
        value: { type: "vector", values, labels },
        ...(missing.length === 0 ? {} : { detail: `left out: ${missing.join("; ")}` }),
      };
    },
  };
}

/** The target's sensors; `path` is the flag file, resolved against the plan's directory. */
export function flagdSensors(config: FlagdConfig, path: string): Readonly<Record<string, Sensor>> {
  const scraper = new Scraper(config.timeoutMs);
  return {
    revision: {
      async read(ctx) {
        const result = await revisions(config, scraper, ctx.signal);
        const observedAtMs = Date.now();
        if (!result.ok) return failedReading(result.code, result.message, observedAtMs);
        return { ok: true, observedAtMs, value: { type: "vector", values: result.values } };
      },
    },
    propagated: {
      async read(ctx) {
        const [file, result] = await Promise.all([
          readFlagFile(path, config.flag, config.variants),
          revisions(config, scraper, ctx.signal),
        ]);
        const observedAtMs = Date.now();
        if (!file.ok) return failedReading("parse", `flag file: ${file.message}`, observedAtMs);
        if (!result.ok) return failedReading(result.code, result.message, observedAtMs);
        const written = file.file.stamp?.revision ?? 0;
        const values: Record<string, number> = {};
        const behind: string[] = [];
        for (const [name, revision] of Object.entries(result.values)) {
          values[name] = revision >= written ? 1 : 0;
          if (revision < written) behind.push(`${name} evaluates revision ${revision} < ${written}`);
        }
        return {
          ok: true,
          observedAtMs,
          value: { type: "vector", values },
          ...(behind.length === 0 ? {} : { detail: behind.join("; ") }),
        };
      },
    },
    requests: counterSensor(config, scraper, config.metrics.requests),
    errors: counterSensor(config, scraper, config.metrics.errors),
  };
}
