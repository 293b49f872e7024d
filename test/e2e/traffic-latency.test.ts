/**
 * The latency guard of `examples/latency-guard.yaml`, end to end: a
 * candidate 3× slower at p99 (and no errors) halts the rollout. Real
 * Prometheus scrapes the sample services' latency histograms; the example's
 * own queries and guard run, pointed at this test's router and Prometheus.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { type LoadGenerator, startLoadGenerator } from "../../src/sample/load-generator.ts";
import { type PrometheusService, requireService, startPrometheus } from "../services/index.ts";
import { AirlockCli, pause } from "./traffic-cli.ts";
import { type Backend, type Stack, startStack, untilHealthy } from "./traffic-stack.ts";

const EXAMPLE = new URL("../../examples/latency-guard.yaml", import.meta.url);

const ready = requireService("prometheus", "the latency guard example on real Prometheus");

/** The example with this test's router, Prometheus, timing and stages; comments and guards untouched. */
function examplePlan(backend: Backend, prometheusUrl: string): string {
  const document = parseDocument(readFileSync(EXAMPLE, "utf8"));
  document.set("name", "latency-guard-e2e");
  document.set("interval", "250ms");
  document.set("target", backend.target);
  for (const sensor of ["legacy_p99", "candidate_p99"]) document.setIn(["sensors", sensor, "url"], prometheusUrl);
  document.set("stages", [
    { name: "half", action: { type: "weight", candidatePercent: 50 }, gates: { bake: "60s" } },
    { name: "full", action: { type: "weight", candidatePercent: 100 } },
  ]);
  return document.toString();
}

describe.skipIf(!ready)("latency guard (examples/latency-guard.yaml)", () => {
  let stack: Stack | undefined;
  let cli: AirlockCli | undefined;
  let prometheus: PrometheusService | undefined;
  let generator: LoadGenerator | undefined;

  afterAll(async () => {
    await generator?.stop();
    await prometheus?.stop();
    await cli?.close();
    await stack?.stop();
  });

  it("halts a rollout whose candidate is 3× slower at p99, without a single error", async () => {
    stack = await startStack("builtin", [
      {
        // Tens of milliseconds, so that event-loop delays on a loaded machine do not blur the ratio.
        "v1-a": { latencyMs: { median: 20, p99: 60 } },
        "v1-b": { latencyMs: { median: 20, p99: 60 } },
        "v2-a": { latencyMs: { median: 60, p99: 180 } },
      },
    ]);
    cli = await AirlockCli.open(stack.dir);
    const [backend] = stack.backends as [Backend];
    await untilHealthy(stack);
    prometheus = await startPrometheus({
      scrapeTargets: [...backend.fleet.values()].map((sample) => `${sample.url}/metrics`),
      scrapeIntervalMs: 250,
    });
    await prometheus.waitForTargetsUp();
    generator = startLoadGenerator({ url: `${backend.routerUrl}/`, ratePerSecond: 100, durationMs: 120_000 });
    // The legacy side has served enough for a p99 of its own before the operation starts.
    const legacyCount = 'sum(increase(sample_request_duration_seconds_count{version="1.0.0"}[30s])) >= 200';
    for (let attempt = 0; (await prometheus.query(legacyCount)).length === 0; attempt += 1) {
      if (attempt > 100) throw new Error("Prometheus never saw 200 legacy requests");
      await pause(100);
    }

    const run = cli.runText("latency-guard-e2e", examplePlan(backend, prometheus.url));
    const id = await cli.operationId("latency-guard-e2e", run);
    expect(await run.exitCode, run.output.join("\n")).toBe(4); // halted, then rolled back (onHalt: rollback)
    const halted = (await cli.events(id)).find((event) => event.type === "Halted");
    const data = halted?.data as { code: string; message: string; evidence: { guard: string; observed: string } };
    expect(data.code).toBe("guard");
    expect(data.evidence.guard).toBe("latency");
    expect(data.message).toMatch(/^guard latency: candidate\/legacy p99 latency /);
    expect(Number.parseFloat(data.evidence.observed)).toBeGreaterThan(2);
    expect((await generator.stop()).failures).toBe(0);
  });
});
