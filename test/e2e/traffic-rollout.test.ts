/**
 * Drain before advance, end to end: real sample services behind the
 * built-in router and HAProxy, operations run by `airlock run` on a SQLite
 * store, under open-loop load. Weight stages wait for the requests they
 * displaced; retire stages drain, quiesce and retire one batch at a time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadGenerator, startLoadGenerator } from "../../src/sample/load-generator.ts";
import type { StoredEvent } from "../../src/store/store.ts";
import { holdRequestThroughRouter, type ReleaseHeldRequest } from "../../src/targets/traffic/router-driver.contract.ts";
import { requireService } from "../services/index.ts";
import { AirlockCli, INTERVAL_MS, pause, stageEvents } from "./traffic-cli.ts";
import { type Backend, type RouterKind, type Stack, serversOf, startStack, untilHealthy } from "./traffic-stack.ts";

/** Scheduling slack on a shared 2-core CI machine, on top of the two sensor intervals the design promises. */
const TICK_SLACK_MS = 750;

const haproxyReady = requireService("haproxy", "traffic rollouts through the engine on HAProxy");

function load(backend: Backend): LoadGenerator {
  return startLoadGenerator({
    url: `${backend.routerUrl}/`,
    ratePerSecond: 40,
    durationMs: 120_000,
    timeoutMs: 10_000,
  });
}

async function hold(backend: Backend, server: string): Promise<ReleaseHeldRequest> {
  const sample = backend.fleet.get(server);
  if (sample === undefined) throw new Error(`no ${server}`);
  return holdRequestThroughRouter(backend.routerUrl, sample.url, server);
}

function gateLabels(event: StoredEvent): string[] {
  const gates = (event.data as { gates?: { label?: string }[] }).gates ?? [];
  return gates.map((gate) => gate.label ?? "?");
}

for (const kind of ["builtin", "haproxy"] as const satisfies readonly RouterKind[]) {
  describe.skipIf(kind === "haproxy" && !haproxyReady)(`drain before advance through the engine: ${kind}`, () => {
    let stack: Stack;
    let cli: AirlockCli;
    const releases: ReleaseHeldRequest[] = [];

    beforeAll(async () => {
      stack = await startStack(kind, [
        { "v1-a": { jobs: true }, "v1-b": { jobs: true }, "v1-c": {}, "v2-a": {}, "v2-b": {} },
      ]);
      cli = await AirlockCli.open(stack.dir);
    });

    afterAll(async () => {
      await Promise.allSettled(releases.map((release) => release()));
      await cli?.close();
      await stack?.stop();
    });

    it("a weight stage does not seal while displaced legacy requests run, and seals within two intervals of their end", async () => {
      const [backend] = stack.backends as [Backend];
      await untilHealthy(stack);
      const generator = load(backend);
      const held = [await hold(backend, "v1-a"), await hold(backend, "v1-b")];
      releases.push(...held);
      await pause(1100); // HAProxy dates sessions in whole seconds: these clearly predate the action
      const run = cli.run({
        name: `held-${kind}`,
        target: backend.target,
        stages: [
          { name: "half", action: { type: "weight", candidatePercent: 50 }, gates: { bake: "1s" } },
          { name: "full", action: { type: "weight", candidatePercent: 100 } },
        ],
      });
      const id = await cli.operationId(`held-${kind}`, run);
      const waiting = await cli.waitForEvent(
        id,
        (event) => event.type === "GateWaiting" && JSON.stringify(event.data).includes("displaced requests"),
      );
      expect(JSON.stringify(waiting.data)).toMatch(/displaced requests/);
      await pause(2000); // the bake is over, the candidate is up: only the displaced requests hold the stage
      expect(stageEvents(await cli.events(id), "StageSealed", "half")).toEqual([]);

      const releasedAtMs = Date.now();
      expect(await Promise.all(held.map((release) => release()))).toEqual([200, 200]);
      const sealed = await cli.waitForEvent(
        id,
        (event) => event.type === "StageSealed" && (event.data as { stage?: string }).stage === "half",
      );
      expect(sealed.atMs - releasedAtMs).toBeLessThanOrEqual(2 * INTERVAL_MS + TICK_SLACK_MS);
      const gates = (sealed.data as { gates: { label: string; waitedMs: number }[] }).gates;
      const displaced = gates.find((gate) => gate.label === "displaced requests");
      const applied = stageEvents(await cli.events(id), "ActionApplied", "half")[0];
      expect(displaced?.waitedMs).toBeGreaterThanOrEqual(releasedAtMs - (applied?.atMs ?? 0) - INTERVAL_MS);
      expect(gateLabels(sealed)).toEqual(expect.arrayContaining(["candidate servers with weight are UP", "bake"]));

      expect(await run.exitCode, run.output.join("\n")).toBe(0);
      const counts = await generator.stop();
      expect(counts.failures).toBe(0);
      const weights = await serversOf(backend);
      expect([...weights.values()].map((server) => [server.name, server.weight])).toEqual([
        ["v1-a", 0],
        ["v1-b", 0],
        ["v1-c", 0],
        ["v2-a", 100],
        ["v2-b", 100],
      ]);
    });

    it("a retire rollout drains, quiesces and retires one batch at a time, each to zero before maint", async () => {
      const [backend] = stack.backends as [Backend];
      for (const name of backend.fleet.keys()) {
        expect((await backend.driver.setState(name, "ready", AbortSignal.timeout(5000))).ok).toBe(true);
        expect((await backend.driver.setWeight(name, 100, AbortSignal.timeout(5000))).ok).toBe(true);
      }
      await untilHealthy(stack);
      const generator = load(backend);
      const held = await hold(backend, "v1-a");
      releases.push(held);
      const hookLog = join(stack.dir, `terminate-${kind}.log`);
      const terminate = {
        command: [
          process.execPath,
          "-e",
          "fetch('http://' + process.env.AIRLOCK_NODE_ADDRESS + '/drain').then((r) => r.text()).then((t) => require('node:fs').appendFileSync(process.argv[1], process.env.AIRLOCK_NODE + ' ' + t + '\\n'))",
          hookLog,
        ],
      };
      const watch = watchStates(backend);
      const batches = [["v1-a"], ["v1-b", "v1-c"]];
      const run = cli.run({
        name: `retire-${kind}`,
        target: { ...backend.target, hooks: { quiesce: { webhook: "http://{address}/quiesce" }, terminate } },
        stages: batches.flatMap((servers, i) =>
          (["drain", "quiesce", "retire"] as const).map((type) => ({
            name: `${type}-${i}`,
            action: { type, servers },
          })),
        ),
      });
      const id = await cli.operationId(`retire-${kind}`, run);
      await cli.waitForEvent(
        id,
        (event) => event.type === "GateWaiting" && JSON.stringify(event.data).includes("sessions on drained servers"),
      );
      await pause(1000);
      expect(stageEvents(await cli.events(id), "StageSealed", "drain-0")).toEqual([]);
      expect(await held()).toBe(200);

      expect(await run.exitCode, run.output.join("\n")).toBe(0);
      const states = await watch.stop();
      const events = await cli.events(id);
      const quiesced = stageEvents(events, "StageSealed", "quiesce-0")[0];
      expect(quiesced === undefined ? [] : gateLabels(quiesced)).toContain(
        "work in the drained servers' own drain reports",
      );
      // Each batch sealed before the next one's first action: never two batches in transition.
      const order = events
        .filter((e) => e.type === "StageStarted" || e.type === "StageSealed")
        .map((e) => `${e.type}:${(e.data as { stage: string }).stage}`);
      expect(order).toEqual(
        ["drain-0", "quiesce-0", "retire-0", "drain-1", "quiesce-1", "retire-1"].flatMap((stage) => [
          `StageStarted:${stage}`,
          `StageSealed:${stage}`,
        ]),
      );
      // The router never had servers of two batches in drain at once, and no server was put in maint with sessions.
      for (const poll of states) {
        const draining = poll.filter((server) => server.adminState === "drain").map((server) => server.name);
        expect(batches.some((batch) => draining.every((name) => batch.includes(name)))).toBe(true);
        expect(poll.filter((server) => server.adminState === "maint" && server.sessions > 0)).toEqual([]);
      }
      // At terminate (after maint), each node's own drain report was zero: jobs stopped, buffers flushed.
      const reports = readFileSync(hookLog, "utf8").trim().split("\n");
      expect(reports.map((line) => line.split(" ")[0]).sort()).toEqual(["v1-a", "v1-b", "v1-c"]);
      for (const line of reports) {
        expect(JSON.parse(line.slice(line.indexOf(" ") + 1))).toEqual({
          inflightRequests: 0,
          runningJobs: 0,
          unflushedBuffers: 0,
          openDbConnections: 0,
        });
      }
      expect((await generator.stop()).failures).toBe(0);
    });
  });
}

/** Polls the router's server states every 50 ms until stopped. */
function watchStates(backend: Backend): {
  stop(): Promise<{ name: string; adminState: string; sessions: number }[][]>;
} {
  const polls: { name: string; adminState: string; sessions: number }[][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const servers = await serversOf(backend).catch(() => undefined);
      if (servers !== undefined)
        polls.push(
          [...servers.values()].map((s) => ({ name: s.name, adminState: s.adminState, sessions: s.currentSessions })),
        );
      await pause(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return polls;
    },
  };
}
