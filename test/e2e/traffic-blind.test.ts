/**
 * Fail closed when the sensors go blind, end to end: HAProxy's admin socket
 * disappears mid-stage, or Prometheus is stopped. No gate opens; the
 * operation halts once `sensorBlind` has passed; when the service is back,
 * `airlock resume` completes it.
 */
import { renameSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type LoadGenerator, startLoadGenerator } from "../../src/sample/load-generator.ts";
import { type PrometheusService, requireService, startPrometheus } from "../services/index.ts";
import { AirlockCli, type CliRun, INTERVAL_MS, stageEvents } from "./traffic-cli.ts";
import { type Backend, type Stack, startStack, untilHealthy } from "./traffic-stack.ts";

/** How long the plans tolerate blind sensors. */
const SENSOR_BLIND_MS = 2000;

/** Scheduling slack on a shared 2-core CI machine. */
const TICK_SLACK_MS = 1000;

const fleet = { "v1-a": {}, "v1-b": {}, "v2-a": {}, "v2-b": {} };

const stages = [
  { name: "canary", action: { type: "weight", candidatePercent: 10 }, gates: { bake: "1s" } },
  { name: "half", action: { type: "weight", candidatePercent: 50 } },
];

/**
 * Runs `plan` until its first action has landed, makes the service vanish,
 * and checks the fail-closed halt; then brings it back and resumes.
 */
async function blindThenResume(
  cli: AirlockCli,
  name: string,
  run: CliRun,
  vanish: () => Promise<void>,
  comeBack: () => Promise<void>,
): Promise<void> {
  const id = await cli.operationId(name, run);
  await cli.waitForEvent(id, (event) => event.type === "ActionApplied");
  await vanish();
  const goneAtMs = Date.now();
  expect(await run.exitCode, run.output.join("\n")).toBe(3); // halted
  const events = await cli.events(id);
  const halted = events.find((event) => event.type === "Halted");
  expect((halted?.data as { code?: string } | undefined)?.code).toBe("sensor-blind");
  expect(halted?.atMs).toBeGreaterThanOrEqual(goneAtMs + SENSOR_BLIND_MS - INTERVAL_MS);
  expect(halted?.atMs).toBeLessThanOrEqual(goneAtMs + SENSOR_BLIND_MS + 2 * INTERVAL_MS + TICK_SLACK_MS);
  // The bake (1 s) was long over: only the blind sensors kept the stage from sealing.
  expect(stageEvents(events, "StageSealed")).toEqual([]);

  await comeBack();
  await cli.untilUnheld(id);
  const resumed = cli.command(["resume", id, "--json"]);
  expect(await resumed.exitCode, resumed.output.join("\n")).toBe(0);
  const after = await cli.events(id);
  expect(after.map((event) => event.type)).toEqual(expect.arrayContaining(["Resumed", "OperationCompleted"]));
  expect(stageEvents(after, "StageSealed").map((event) => (event.data as { stage: string }).stage)).toEqual([
    "canary",
    "half",
  ]);
}

const haproxyReady = requireService("haproxy", "HAProxy's admin socket disappearing mid-stage");

describe.skipIf(!haproxyReady)("blind sensors: HAProxy's admin socket disappears", () => {
  let stack: Stack | undefined;
  let cli: AirlockCli | undefined;
  let generator: LoadGenerator | undefined;

  afterAll(async () => {
    await generator?.stop();
    await cli?.close();
    await stack?.stop();
  });

  it("opens no gate, halts after sensorBlind, and completes on airlock resume once the socket is back", async () => {
    stack = await startStack("haproxy", [fleet]);
    cli = await AirlockCli.open(stack.dir);
    const [backend] = stack.backends as [Backend];
    const socket = stack.haproxySocket ?? "";
    await untilHealthy(stack);
    generator = startLoadGenerator({ url: `${backend.routerUrl}/`, ratePerSecond: 40, durationMs: 120_000 });
    const run = cli.run({ name: "socket-gone", target: backend.target, sensorBlind: `${SENSOR_BLIND_MS}ms`, stages });
    await blindThenResume(
      cli,
      "socket-gone",
      run,
      async () => renameSync(socket, `${socket}.gone`),
      async () => renameSync(`${socket}.gone`, socket),
    );
  });
});

const prometheusReady = requireService("prometheus", "Prometheus stopped mid-stage");

describe.skipIf(!prometheusReady)("blind sensors: Prometheus is stopped", () => {
  let stack: Stack | undefined;
  let cli: AirlockCli | undefined;
  let generator: LoadGenerator | undefined;
  let prometheus: PrometheusService | undefined;
  let relay: Relay | undefined;

  afterAll(async () => {
    await generator?.stop();
    await relay?.close();
    await prometheus?.stop();
    await cli?.close();
    await stack?.stop();
  });

  it("opens no gate, halts after sensorBlind, and completes on airlock resume once Prometheus is back", async () => {
    stack = await startStack("builtin", [fleet]);
    cli = await AirlockCli.open(stack.dir);
    const [backend] = stack.backends as [Backend];
    const scrape = [...backend.fleet.values()].map((sample) => `${sample.url}/metrics`);
    const start = async (): Promise<PrometheusService> => {
      const started = await startPrometheus({ scrapeTargets: scrape, scrapeIntervalMs: 250 });
      await started.waitForTargetsUp();
      return started;
    };
    prometheus = await start();
    // A restarted Prometheus gets a new port; the plan keeps one URL, as behind a service address.
    relay = await startRelay(new URL(prometheus.url).port);
    generator = startLoadGenerator({ url: `${backend.routerUrl}/`, ratePerSecond: 40, durationMs: 120_000 });
    const run = cli.run({
      name: "prometheus-gone",
      target: backend.target,
      sensorBlind: `${SENSOR_BLIND_MS}ms`,
      sensors: {
        legacy_inflight: {
          kind: "prometheus",
          url: relay.url,
          query: 'sum(sample_inflight_requests{version="1.0.0"})',
          maxAge: "2s",
        },
      },
      stages: stages.map((stage) => ({
        ...stage,
        gates: {
          ...stage.gates,
          drained: [{ sensor: "legacy_inflight", max: 100, label: "legacy in-flight requests (Prometheus)" }],
        },
      })),
    });
    await blindThenResume(
      cli,
      "prometheus-gone",
      run,
      async () => {
        await prometheus?.stop();
      },
      async () => {
        prometheus = await start();
        relay?.pointAt(new URL(prometheus.url).port);
        for (let attempt = 0; (await prometheus.query("sum(sample_inflight_requests)")).length === 0; attempt += 1) {
          if (attempt > 100) throw new Error("the new Prometheus has no samples");
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
    );
  });
});

/** A TCP relay on a fixed loopback port to a changeable one. */
interface Relay {
  readonly url: string;
  pointAt(port: string): void;
  close(): Promise<void>;
}

async function startRelay(port: string): Promise<Relay> {
  let target = Number(port);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.connect(target, "127.0.0.1", () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const relayPort = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${relayPort}`,
    pointAt(next) {
      target = Number(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
