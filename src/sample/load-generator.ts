/**
 * An open-loop, constant-rate HTTP load generator. Request i is scheduled at
 * `start + i / rate` whatever the latency of earlier ones, so an overloaded
 * or failing target shows as latency and failures instead of slowing the
 * generator down (no coordinated omission). Latency is measured from each
 * request's scheduled time. It only ever sends to 127.0.0.1.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

/** What to send and for how long. */
export interface LoadOptions {
  /** Target URL; its host must be `127.0.0.1`. */
  readonly url: string;
  /** Requests per second, > 0. */
  readonly ratePerSecond: number;
  /** Scheduling stops after this long. */
  readonly durationMs: number;
  /** Scheduling stops after this many requests. Default: rate × duration. */
  readonly maxRequests?: number;
  /** A request without a complete answer after this long fails as `timeout`. Default 5000. */
  readonly timeoutMs?: number;
  /** Phase of the first requests. Default `"default"`. */
  readonly phase?: string;
  /** Requests open at once beyond this are not sent and fail as `overload`. Default 10000. */
  readonly maxInFlight?: number;
}

/** Counts and latency of one phase (or of the whole run). */
export interface PhaseSummary {
  /** Requests completed (succeeded or failed). */
  readonly requests: number;
  /** Non-2xx answers, connection errors, timeouts and overload drops. */
  readonly failures: number;
  /** Failures by reason: `http-<code>`, `connection`, `timeout`, `overload`. */
  readonly failuresByReason: Readonly<Record<string, number>>;
  /** Latency percentiles of successful requests, ms from scheduled time; `null` without any. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/** The run's totals and the same per phase, phases in the order they started. */
export interface LoadSummary extends PhaseSummary {
  readonly byPhase: Readonly<Record<string, PhaseSummary>>;
  /** Requests scheduled and not yet completed. */
  readonly inFlight: number;
}

/** A running load generator. */
export interface LoadGenerator {
  /** Requests scheduled from now on count under `phase`. */
  setPhase(phase: string): void;
  /** A snapshot of the counts so far. */
  summary(): LoadSummary;
  /** Stop scheduling and resolve once in-flight requests have completed. Idempotent. */
  stop(): Promise<LoadSummary>;
  /** Resolves when the run ends by itself (duration or count reached) or after {@link stop}. */
  readonly done: Promise<LoadSummary>;
}

interface PhaseTally {
  requests: number;
  failuresByReason: Record<string, number>;
  latenciesMs: number[];
}

/** Start sending. Throws a RangeError for a non-loopback target or a non-positive rate. */
export function startLoadGenerator(options: LoadOptions): LoadGenerator {
  const target = new URL(options.url);
  if (target.protocol !== "http:" || target.hostname !== "127.0.0.1") {
    throw new RangeError("the load generator only targets http://127.0.0.1");
  }
  if (!(options.ratePerSecond > 0) || !(options.durationMs >= 0)) {
    throw new RangeError("ratePerSecond must be > 0 and durationMs >= 0");
  }
  const intervalMs = 1000 / options.ratePerSecond;
  const maxRequests = options.maxRequests ?? Math.floor((options.ratePerSecond * options.durationMs) / 1000);
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxInFlight = options.maxInFlight ?? 10_000;
  const agent = new Agent({ keepAlive: true });
  const phases = new Map<string, PhaseTally>();
  let phase = options.phase ?? "default";
  let scheduled = 0;
  let inFlight = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const startMs = performance.now();
  let finish: (summary: LoadSummary) => void = () => {};
  const done = new Promise<LoadSummary>((resolve) => {
    finish = resolve;
  });

  const tally = (name: string): PhaseTally => {
    let found = phases.get(name);
    if (found === undefined) {
      found = { requests: 0, failuresByReason: {}, latenciesMs: [] };
      phases.set(name, found);
    }
    return found;
  };

  const complete = (into: PhaseTally, scheduledAtMs: number, failure: string | undefined): void => {
    into.requests += 1;
    if (failure === undefined) into.latenciesMs.push(performance.now() - scheduledAtMs);
    else into.failuresByReason[failure] = (into.failuresByReason[failure] ?? 0) + 1;
  };

  const fire = (scheduledAtMs: number): void => {
    const into = tally(phase);
    if (inFlight >= maxInFlight) {
      complete(into, scheduledAtMs, "overload");
      return;
    }
    inFlight += 1;
    let settled = false;
    const settle = (failure: string | undefined): void => {
      if (settled) return;
      settled = true;
      inFlight -= 1;
      complete(into, scheduledAtMs, failure);
      maybeFinish();
    };
    const req = request(target, { agent, timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on("end", () => settle(status >= 200 && status < 300 ? undefined : `http-${status}`));
      res.on("error", () => settle("connection"));
    });
    req.on("timeout", () => {
      settle("timeout");
      req.destroy();
    });
    req.on("error", () => settle("connection"));
    req.end();
  };

  const tick = (): void => {
    const elapsedMs = performance.now() - startMs;
    while (
      !stopped &&
      scheduled < maxRequests &&
      scheduled * intervalMs <= elapsedMs &&
      scheduled * intervalMs < options.durationMs
    ) {
      fire(startMs + scheduled * intervalMs);
      scheduled += 1;
    }
    if (scheduled >= maxRequests || elapsedMs >= options.durationMs) stopped = true;
    if (stopped) maybeFinish();
    else timer = setTimeout(tick, Math.max(0, scheduled * intervalMs - elapsedMs));
  };

  const summary = (): LoadSummary => {
    const byPhase: Record<string, PhaseSummary> = {};
    for (const [name, value] of phases) byPhase[name] = summarise([value]);
    return { ...summarise([...phases.values()]), byPhase, inFlight };
  };

  let finished = false;
  const maybeFinish = (): void => {
    if (finished || !stopped || inFlight > 0) return;
    finished = true;
    agent.destroy();
    finish(summary());
  };

  tick();
  return {
    setPhase: (name) => {
      phase = name;
    },
    summary,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      maybeFinish();
      return done;
    },
    done,
  };
}

function summarise(tallies: readonly PhaseTally[]): PhaseSummary {
  const failuresByReason: Record<string, number> = {};
  let requests = 0;
  for (const tally of tallies) {
    requests += tally.requests;
    for (const [reason, count] of Object.entries(tally.failuresByReason)) {
      failuresByReason[reason] = (failuresByReason[reason] ?? 0) + count;
    }
  }
  const sorted = tallies.flatMap((tally) => tally.latenciesMs).sort((a, b) => a - b);
  return {
    requests,
    failures: Object.values(failuresByReason).reduce((sum, count) => sum + count, 0),
    failuresByReason,
    p50Ms: nearestRank(sorted, 0.5),
    p99Ms: nearestRank(sorted, 0.99),
    maxMs: nearestRank(sorted, 1),
  };
}

/** Nearest-rank percentile of ascending `sorted`, rounded to 0.01 ms; `null` when empty. */
export function nearestRank(sorted: readonly number[], quantile: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1));
  const value = sorted[index];
  return value === undefined ? null : Math.round(value * 100) / 100;
}
