/**
 * The demo's p99 latency per cohort, without Prometheus (the demo needs
 * nothing but Node): it scrapes every sample service's `/metrics` and
 * answers, on a loopback port, what
 * `histogram_quantile(0.99, sum by (le) (rate(sample_request_duration_seconds_bucket{version=...}[window])))`
 * would. Two `http` sensors read it, and the plan's latency guard divides one
 * by the other (`examples/latency-guard.yaml` does the same with Prometheus).
 *
 * `GET /` → `{ observedAtMs, windowMs, legacy: {...}, candidate: {...} }`,
 * each cohort `{ p99Seconds, p99OrOtherSeconds, requests }`. `p99Seconds` is
 * `null` (the sensor reads "empty": fails closed) when the cohort served
 * fewer than `minRequests` in the window or one of its nodes could not be
 * scraped lately. `minRequests` defaults to 200: a p99 of fewer requests is
 * their one or two slowest, so a single slow request (a process's first,
 * before its code is compiled; a scheduling hiccup on a busy machine) would
 * double it.
 *
 * `reset(cohort)` starts that cohort's window afresh: a demo scenario's
 * candidate must not be judged on the requests it served in the scenario
 * before (the legacy side keeps its window, so the ratio has a reference).
 *
 * `p99OrOtherSeconds` is what the guard divides: the cohort's p99, or —
 * while every one of its nodes was scraped and together they served too few
 * requests to judge (a candidate before it takes traffic, the legacy side
 * at 100%) — the other cohort's p99, so the ratio is 1: nothing to judge.
 * The engine starts a stage only while every guard can be evaluated, so a
 * guard on a cohort without traffic must say something; a node that cannot
 * be scraped still fails closed. `examples/latency-guard.yaml` does the same
 * in PromQL.
 */
import { type LocalHttpServer, sendJson, startLocalHttpServer } from "../util/local-http-server.ts";
import { addDelta, type Buckets, histogramQuantile, parseBuckets, totalCount } from "./histogram-quantile.ts";
import type { FleetNode } from "./sample-fleet.ts";

/** The sample service's latency histogram. */
const HISTOGRAM = "sample_request_duration_seconds";

/** One cohort's window. */
export interface CohortLatency {
  /** p99 in seconds; `null` when it cannot be told. */
  readonly p99Seconds: number | null;
  /** `p99Seconds`, or the other cohort's while this one served too few requests to judge (see above). */
  readonly p99OrOtherSeconds: number | null;
  /** Requests the window holds. */
  readonly requests: number;
}

/** What the monitor serves. */
export interface LatencyReport {
  /** The oldest of the latest scrapes it is based on, ms since the epoch. */
  readonly observedAtMs: number;
  readonly windowMs: number;
  readonly legacy: CohortLatency;
  readonly candidate: CohortLatency;
}

/** A running monitor. */
export interface LatencyMonitor {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  report(): LatencyReport;
  /** Forgets the cohort's scrapes: from now on its window holds only what comes after. */
  reset(cohort: FleetNode["cohort"]): void;
  /** Stops scraping and serving. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startLatencyMonitor}. */
export interface LatencyMonitorOptions {
  readonly nodes: readonly FleetNode[];
  /** Default 500. */
  readonly scrapeMs?: number;
  /** Default 10 000. */
  readonly windowMs?: number;
  /** Default 200. */
  readonly minRequests?: number;
}

interface Scrape {
  readonly atMs: number;
  readonly buckets: Buckets;
}

/** Starts scraping at once and serving on a free loopback port. */
export async function startLatencyMonitor(options: LatencyMonitorOptions): Promise<LatencyMonitor> {
  const scrapeMs = options.scrapeMs ?? 500;
  const windowMs = options.windowMs ?? 10_000;
  const minRequests = options.minRequests ?? 200;
  const history = new Map<string, Scrape[]>(options.nodes.map((node) => [node.name, []]));
  const closed = new AbortController();
  /** Per node, scrapes begun before its latest reset are dropped when they return. */
  const epochs = new Map<string, number>(options.nodes.map((node) => [node.name, 0]));

  const scrapeOnce = async (node: FleetNode): Promise<void> => {
    const startedEpoch = epochs.get(node.name);
    try {
      const response = await fetch(`${node.url}/metrics`, {
        signal: AbortSignal.any([closed.signal, AbortSignal.timeout(scrapeMs * 2)]),
      });
      if (!response.ok) return;
      const text = await response.text();
      if (startedEpoch !== epochs.get(node.name)) return;
      const scrapes = history.get(node.name) ?? [];
      scrapes.push({ atMs: Date.now(), buckets: parseBuckets(text, HISTOGRAM) });
      // Keep one scrape older than the window, to subtract from.
      while (scrapes.length > 2 && (scrapes[1]?.atMs ?? 0) <= Date.now() - windowMs) scrapes.shift();
      history.set(node.name, scrapes);
    } catch {
      // A missed scrape shows as staleness in the report.
    }
  };
  const loop = (async () => {
    while (!closed.signal.aborted) {
      await Promise.all(options.nodes.map(scrapeOnce));
      await new Promise((resolve) => setTimeout(resolve, scrapeMs));
    }
  })();

  const window = (
    which: FleetNode["cohort"],
    nowMs: number,
  ): { fresh: boolean; requests: number; p99: number | null } => {
    const merged = new Map<number, number>();
    let fresh = true;
    for (const node of options.nodes.filter((candidate) => candidate.cohort === which)) {
      const scrapes = history.get(node.name) ?? [];
      const latest = scrapes.at(-1);
      if (latest === undefined || latest.atMs < nowMs - 3 * scrapeMs) fresh = false;
      if (latest === undefined) continue;
      // The last scrape at or before the window's start; the first one while the window is younger.
      const base = scrapes.findLast((scrape) => scrape.atMs <= latest.atMs - windowMs) ?? scrapes[0] ?? latest;
      addDelta(merged, latest.buckets, base.buckets);
    }
    const requests = totalCount(merged);
    const p99 = fresh && requests >= minRequests ? histogramQuantile(0.99, merged) : undefined;
    return { fresh, requests, p99: p99 ?? null };
  };

  const report = (): LatencyReport => {
    const nowMs = Date.now();
    const latest = [...history.values()].map((scrapes) => scrapes.at(-1)?.atMs ?? 0);
    const legacy = window("legacy", nowMs);
    const candidate = window("candidate", nowMs);
    const cohort = (own: typeof legacy, other: typeof legacy): CohortLatency => ({
      p99Seconds: own.p99,
      p99OrOtherSeconds: own.p99 ?? (own.fresh && own.requests < minRequests ? other.p99 : null),
      requests: own.requests,
    });
    return {
      observedAtMs: Math.min(...latest),
      windowMs,
      legacy: cohort(legacy, candidate),
      candidate: cohort(candidate, legacy),
    };
  };

  const server: LocalHttpServer = await startLocalHttpServer((_request, _body, response) =>
    sendJson(response, 200, report()),
  );
  let closing: Promise<void> | undefined;
  return {
    url: `${server.origin}/`,
    report,
    reset(cohort) {
      for (const node of options.nodes.filter((each) => each.cohort === cohort)) {
        epochs.set(node.name, (epochs.get(node.name) ?? 0) + 1);
        history.set(node.name, []);
      }
    },
    close() {
      closing ??= (async () => {
        closed.abort();
        await Promise.all([server.close(), loop]);
      })();
      return closing;
    },
  };
}
