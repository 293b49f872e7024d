import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseFleet } from "../../src/sim/fleet-spec.ts";
import { foldRunLine } from "./airlock-process.ts";
import { simulatorPlanText } from "./cascade-plan.ts";
import { compareWithSimulator } from "./compare.ts";
import { drainTimeCdf, drainTimes } from "./drain-time.ts";
import { derivePeers, parsePeers, renderPeers } from "./peers-file.ts";
import { buildSeries, counterBetween, type RunRecord } from "./run-record.ts";
import { parseSimulation } from "./simulate.ts";
import { checkGoals, groupMedians, median, renderTable } from "./summary.ts";
import { renderChart } from "./svg-chart.ts";
import { appConnectionSlots, WORKLOAD } from "./workload.ts";

const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8");

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    strategy: "airlock",
    release: "good",
    router: "haproxy",
    rep: 0,
    outcome: "completed",
    failedRequests: 0,
    failedDuringRollout: 0,
    requests: 8000,
    failuresByReason: {},
    p99Ms: 50,
    peakDbConnections: 48,
    connectionRefused: 0,
    durationS: 30,
    loadAverage1m: 2,
    series: [],
    ...overrides,
  };
}

describe("cascade benchmark: peers' settings", () => {
  it("derives the drain time from the workload: a median between the job's and the long request's, a worst case of the longest work", () => {
    const drain = drainTimes(WORKLOAD);
    expect(drain.worstMs).toBe(WORKLOAD.longRequestMs);
    expect(drainTimeCdf(WORKLOAD, drain.medianMs)).toBeGreaterThanOrEqual(0.5);
    expect(drainTimeCdf(WORKLOAD, drain.medianMs - 100)).toBeLessThan(0.5);
    expect(drainTimeCdf(WORKLOAD, drain.worstMs)).toBe(1);
  });

  it("the committed bench/peers.json is exactly what the workload implies, and parses", () => {
    const text = read("../peers.json");
    expect(text).toBe(renderPeers(derivePeers(WORKLOAD)));
    const parsed = parsePeers(text);
    expect(parsed.ok && parsed.value["timer-canary-safe"].pauseMs).toBe(drainTimes(WORKLOAD).worstMs);
  });

  it("refuses a peers file with a missing setting, naming it", () => {
    const broken = JSON.parse(read("../peers.json")) as Record<string, unknown>;
    delete broken["timer-canary-typical"];
    expect(parsePeers(JSON.stringify(broken))).toMatchObject({ ok: false, message: /timer-canary-typical/ });
    expect(parsePeers("{").ok).toBe(false);
  });

  it("describes the same world to the simulator: fleet file and plan match the workload and the peers", () => {
    const fleet = parseFleet(read("fleet-cascade.yaml"));
    if (!fleet.ok) throw new Error(fleet.message);
    const peers = derivePeers(WORKLOAD);
    expect(fleet.value.database.maxConnections).toBe(appConnectionSlots(WORKLOAD));
    expect(fleet.value.pool).toMatchObject({ size: WORKLOAD.poolSize, minIdle: WORKLOAD.poolSize });
    expect(fleet.value.traffic.requestsPerSecond).toBe(WORKLOAD.ratePerSecond);
    expect(fleet.value.peers?.typical.pause).toBe(peers["timer-canary-typical"].pauseMs);
    expect(fleet.value.peers?.safe.scaleDownDelay).toBe(peers["timer-canary-safe"].scaleDownDelayMs);
    expect(read("plan-cascade.yaml")).toBe(simulatorPlanText(WORKLOAD));
  });
});

describe("cascade benchmark: summary", () => {
  it("takes medians, the mean of the middle two for an even count", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it("checks the issue's goals against medians and says by how much one is missed", () => {
    const runs = [
      run({ release: "bad", failedRequests: 20, durationS: 5 }),
      run({ release: "bad", strategy: "naive", failedRequests: 600 }),
      run({ release: "bad", strategy: "timer-canary-typical", failedRequests: 50 }),
      run({ release: "good", durationS: 31 }),
      run({ release: "good", strategy: "timer-canary-typical", durationS: 24, failedRequests: 56 }),
    ];
    const goals = checkGoals(groupMedians(runs));
    expect(goals).toContainEqual({
      router: "haproxy",
      goal: "bad: failed <= 10% of naive",
      met: true,
      detail: "20 <= 60",
    });
    expect(goals).toContainEqual({
      router: "haproxy",
      goal: "bad: failed <= 25% of timer-canary-typical",
      met: false,
      detail: "20 > 12.5",
    });
    expect(goals.find((g) => g.goal === "good: duration <= 1.5 x timer-canary-typical")?.met).toBe(true);
    expect(goals.some((g) => g.goal.includes("timer-canary-safe"))).toBe(false);
    expect(renderTable(groupMedians(runs), goals).join("\n")).toContain("[MISSED] haproxy: bad: failed <= 25%");
  });

  it("builds per-second series with the peak DB connections of each second, carried over empty seconds", () => {
    const series = buildSeries(1000, 3, (s) => (s === 1 ? { requests: 160, failures: 8 } : undefined), [
      { atMs: 1100, connections: 30 },
      { atMs: 1500, connections: 34 },
      { atMs: 3100, connections: 20 },
    ]);
    expect(series).toEqual([
      { tS: 0, requests: 0, failed: 0, dbConnections: 34 },
      { tS: 1, requests: 160, failed: 8, dbConnections: 34 },
      { tS: 2, requests: 0, failed: 0, dbConnections: 20 },
    ]);
  });

  it("counts a bad node's requests between two moments from cumulative samples", () => {
    const samples = [
      { atMs: 0, requestsTotal: 10 },
      { atMs: 500, requestsTotal: 30 },
      { atMs: 1000, requestsTotal: 55 },
    ];
    expect(counterBetween(samples, 0, 900)).toBe(20);
    expect(counterBetween(samples, 0, 5000)).toBe(45);
  });

  it("sets the simulator beside the real medians, within a factor of 2 or not", () => {
    const medians = groupMedians([run({ failedDuringRollout: 40, durationS: 30 })]);
    const sim = parseSimulation("airlock", "good", '{"outcome":"completed","durationS":20,"failedRequests":70}', "");
    const [row] = compareWithSimulator(medians, [sim]);
    expect(row).toMatchObject({ failedRatio: 1.75, durationRatio: 0.67, withinFactor2: true });
    expect(parseSimulation("naive", "bad", "", "boom\n").outcome).toBe("error: boom");
  });

  it("renders an SVG chart with one row per strategy and the database's limit", () => {
    const svg = renderChart({
      title: "good <release>",
      rows: [
        { label: "naive", series: [{ tS: 0, requests: 100, failed: 50, dbConnections: 51 }] },
        { label: "airlock", series: [{ tS: 0, requests: 100, failed: 0, dbConnections: 48 }] },
      ],
      connectionLimit: 50,
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("good &lt;release&gt;");
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain("the database's limit 50");
  });
});

describe("airlock run --json lines", () => {
  it("gives the outcome, the operation's start and its halt, ignoring lines that are not JSON", () => {
    const lines = [
      "airlock: installing dependencies (npm ci)...",
      '{"event":"OperationStarted","seq":1,"atMs":1000,"data":{}}',
      '{"event":"Halted","seq":9,"atMs":4000,"data":{"message":"guard supercriticality: v2-0 errors 9/12"}}',
      '{"event":"Halted","seq":12,"atMs":5000,"data":{"message":"later"}}',
      '{"operation":"cascade-x","outcome":"rolled_back"}',
    ];
    expect(lines.reduce(foldRunLine, {})).toEqual({
      startedAtMs: 1000,
      haltedAtMs: 4000,
      haltMessage: "guard supercriticality: v2-0 errors 9/12",
      outcome: "rolled_back",
    });
  });
});
