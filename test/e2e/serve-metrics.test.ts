/**
 * `/metrics` scraped by a real Prometheus 2.42 (1 s scrape interval): the
 * operation's stage index advances stage by stage to completion, and the
 * phase, gate, tick-duration and halt series are there with their labels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetPlan } from "../../src/api/testing-plans.ts";
import { request, type ServeProcess, startServeProcess } from "../../src/api/testing-serve.ts";
import { type PrometheusService, requireService, startPrometheus, waitUntil } from "../services/index.ts";

const ready = requireService("prometheus", "airlock serve /metrics scraped by Prometheus");

describe.skipIf(!ready)("/metrics scraped by Prometheus", () => {
  let serve: ServeProcess;
  let prometheus: PrometheusService;

  beforeAll(async () => {
    serve = await startServeProcess(["--public-metrics"]);
    prometheus = await startPrometheus({ scrapeTargets: [`${serve.url}/metrics`], scrapeIntervalMs: 1000 });
    await prometheus.waitForTargetsUp();
  });
  afterAll(async () => {
    await prometheus?.stop();
    await serve?.stop();
  });

  const value = async (promql: string): Promise<number | undefined> => {
    const [first] = (await prometheus.query(promql)) as { value: [number, string] }[];
    return first === undefined ? undefined : Number(first.value[1]);
  };

  it("shows the operation's stage advancing to completion", async () => {
    const plan = fleetPlan({
      name: "scraped",
      domain: "metrics",
      interval: "250ms",
      bakes: ["2500ms", "2500ms", "2500ms"],
    });
    const created = await request(serve.url, "POST", "/api/v1/operations", { token: serve.tokens.admin, body: plan });
    expect(created.status).toBe(201);
    const seen: number[] = [];
    await waitUntil(
      "Prometheus sees the operation completed",
      async () => {
        const stage = await value('airlock_operation_stage_index{plan="scraped"}');
        if (stage !== undefined && seen.at(-1) !== stage) seen.push(stage);
        return (await value('airlock_operation_phase{plan="scraped",phase="completed"}')) === 1;
      },
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    await waitUntil(
      "the final stage index",
      async () => (await value('airlock_operation_stage_index{plan="scraped"}')) === 3,
      {
        timeoutMs: 5_000,
      },
    );
    seen.push(3);
    const distinct = [...new Set(seen)];
    expect(distinct).toEqual([...distinct].sort((a, b) => a - b));
    expect(distinct.length).toBeGreaterThanOrEqual(3);
    expect(await value('airlock_operation_stages_sealed{plan="scraped"}')).toBe(3);
    expect(await value('airlock_operation_phase{plan="scraped",phase="sealing"}')).toBe(0);
    expect(await value("airlock_controller_tick_duration_seconds_count")).toBeGreaterThan(10);
    expect(await value('airlock_process_cpu_seconds_total{job="target-0"}')).toBeGreaterThan(0);
  });

  it("reports halts by reason, the freeze and detector scores", async () => {
    const plan = fleetPlan({
      name: "scraped-bad",
      domain: "metrics-bad",
      interval: "100ms",
      healthyTicks: 8,
      badTicks: 200,
      bakes: ["200ms", "60s", "60s"],
    });
    await request(serve.url, "POST", "/api/v1/operations", { token: serve.tokens.admin, body: plan });
    await waitUntil(
      "Prometheus sees the halt",
      async () => (await value('airlock_halts_total{domain="metrics-bad",reason="supercriticality"}')) === 1,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(await value('airlock_freeze{domain="metrics-bad"}')).toBe(1);
    expect(await value('max(airlock_detector_score{node=~"cohort:candidate|v2-a"})')).toBeGreaterThanOrEqual(1);
  });
});
