import { afterEach, describe, expect, it } from "vitest";
import { type LocalHttpServer, startLocalHttpServer } from "../util/local-http-server.ts";
import { type LatencyMonitor, type LatencyReport, startLatencyMonitor } from "./latency-monitor.ts";
import type { FleetNode } from "./sample-fleet.ts";

/** A node whose `/metrics` serves a histogram with the cumulative counts the test sets. */
interface MetricsNode {
  readonly node: FleetNode;
  readonly server: LocalHttpServer;
  /** Requests answered within 10 ms and within 1 s since the node started. */
  counts: { fast: number; slow: number };
}

async function metricsNode(name: string, cohort: FleetNode["cohort"]): Promise<MetricsNode> {
  const state = { counts: { fast: 0, slow: 0 } };
  const server = await startLocalHttpServer((_request, _body, response) => {
    const { fast, slow } = state.counts;
    response.writeHead(200, { "content-type": "text/plain" });
    response.end(
      [
        `sample_request_duration_seconds_bucket{le="0.01"} ${fast}`,
        `sample_request_duration_seconds_bucket{le="1"} ${fast + slow}`,
        `sample_request_duration_seconds_bucket{le="+Inf"} ${fast + slow}`,
      ].join("\n"),
    );
  });
  const node: FleetNode = {
    name,
    version: cohort === "legacy" ? "1.0.0" : "2.0.0",
    cohort,
    url: server.origin,
    address: new URL(server.origin).host,
  };
  return Object.assign(state, { node, server });
}

async function until(monitor: LatencyMonitor, predicate: (report: LatencyReport) => boolean): Promise<LatencyReport> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const report = monitor.report();
    if (predicate(report)) return report;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never: ${JSON.stringify(monitor.report())}`);
}

/** Every node scraped: the window's base is set. */
const scrapedOnce = (report: LatencyReport): boolean => report.observedAtMs > 0;

describe("the demo's latency monitor", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  async function fleet(): Promise<{ legacy: MetricsNode; candidate: MetricsNode; monitor: LatencyMonitor }> {
    const legacy = await metricsNode("v1-a", "legacy");
    const candidate = await metricsNode("v2-a", "candidate");
    cleanup.push(
      () => legacy.server.close(),
      () => candidate.server.close(),
    );
    const monitor = await startLatencyMonitor({ nodes: [legacy.node, candidate.node], scrapeMs: 20, windowMs: 60_000 });
    cleanup.push(() => monitor.close());
    return { legacy, candidate, monitor };
  }

  it("judges no p99 from fewer than 200 requests: the candidate's one slow request among 150 reads as the legacy p99", async () => {
    const { legacy, candidate, monitor } = await fleet();
    await until(monitor, scrapedOnce);
    legacy.counts = { fast: 1000, slow: 0 };
    candidate.counts = { fast: 149, slow: 1 };
    const report = await until(monitor, (each) => each.legacy.requests === 1000 && each.candidate.requests === 150);
    expect(report.legacy.p99Seconds).toBeLessThanOrEqual(0.01);
    expect(report.candidate.p99Seconds).toBeNull();
    expect(report.candidate.p99OrOtherSeconds).toBe(report.legacy.p99Seconds);

    candidate.counts = { fast: 390, slow: 10 };
    const judged = await until(monitor, (each) => each.candidate.requests === 400);
    expect(judged.candidate.p99Seconds).toBeGreaterThan(0.01);
    expect(judged.candidate.p99OrOtherSeconds).toBe(judged.candidate.p99Seconds);
  });

  it("reset(cohort) starts that cohort's window afresh and keeps the other's", async () => {
    const { legacy, candidate, monitor } = await fleet();
    await until(monitor, scrapedOnce);
    legacy.counts = { fast: 1000, slow: 0 };
    candidate.counts = { fast: 300, slow: 100 };
    const before = await until(monitor, (each) => each.legacy.requests === 1000 && each.candidate.requests === 400);
    expect(before.candidate.p99Seconds).toBeGreaterThan(0.01);

    monitor.reset("candidate");
    // Until the candidate is scraped again its window is unknown, and unknown fails closed.
    expect(monitor.report().candidate.p99OrOtherSeconds).toBeNull();
    const after = await until(monitor, (each) => each.candidate.p99OrOtherSeconds !== null);
    expect(after.candidate.requests).toBe(0);
    expect(after.candidate.p99OrOtherSeconds).toBe(after.legacy.p99Seconds);
    expect(after.legacy.requests).toBe(1000);

    candidate.counts = { fast: 600, slow: 100 };
    const fresh = await until(monitor, (each) => each.candidate.requests === 300);
    expect(fresh.candidate.p99Seconds).toBeLessThanOrEqual(0.01);
  });

  it("a cohort with a node it cannot scrape reads null, which fails closed", async () => {
    const { legacy, monitor } = await fleet();
    await until(monitor, scrapedOnce);
    legacy.counts = { fast: 1000, slow: 0 };
    await until(monitor, (each) => each.legacy.requests === 1000);
    await legacy.server.close();
    const report = await until(monitor, (each) => each.legacy.p99OrOtherSeconds === null);
    expect(report.legacy.p99Seconds).toBeNull();
  });
});
