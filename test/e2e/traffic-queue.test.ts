/**
 * One active stage per domain, and one operation per backend, end to end:
 * two `airlock run` processes' worth of operations on the same store, on
 * the built-in router and HAProxy; `airlock status` says why each waits.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../src/store/store.ts";
import { requireService } from "../services/index.ts";
import { AirlockCli, stageEvents } from "./traffic-cli.ts";
import { type Backend, type RouterKind, type Stack, startStack, untilHealthy } from "./traffic-stack.ts";

const haproxyReady = requireService("haproxy", "queueing through the engine on HAProxy");

const fleet = { "v1-a": {}, "v1-b": {}, "v2-a": {}, "v2-b": {} };

const weightStage = (name: string, candidatePercent: number, bake = "1500ms") => ({
  name,
  action: { type: "weight", candidatePercent },
  gates: { bake },
});

/** Each stage's [started, sealed] interval. */
function transitions(events: readonly StoredEvent[]): [number, number][] {
  return stageEvents(events, "StageStarted", undefined, "forward").map((started) => {
    const stage = (started.data as { stage: string }).stage;
    const sealed = stageEvents(events, "StageSealed", stage, "forward")[0];
    return [started.atMs, sealed?.atMs ?? Number.POSITIVE_INFINITY];
  });
}

for (const kind of ["builtin", "haproxy"] as const satisfies readonly RouterKind[]) {
  describe.skipIf(kind === "haproxy" && !haproxyReady)(`queueing through the engine: ${kind}`, () => {
    let stack: Stack;
    let cli: AirlockCli;

    beforeAll(async () => {
      stack = await startStack(kind, [fleet, fleet]);
      cli = await AirlockCli.open(stack.dir);
    });

    beforeEach(async () => {
      for (const backend of stack.backends) {
        for (const name of backend.fleet.keys()) {
          const weight = name.startsWith("v1") ? 100 : 0;
          expect((await backend.driver.setWeight(name, weight, AbortSignal.timeout(5000))).ok).toBe(true);
        }
      }
      await untilHealthy(stack);
    });

    afterAll(async () => {
      await cli?.close();
      await stack?.stop();
    });

    it("a second operation on the same backend waits until the first has ended, and status says why", async () => {
      const [backend] = stack.backends as [Backend];
      const first = cli.run({
        name: `first-${kind}`,
        domain: `first-${kind}`,
        target: backend.target,
        guards: [],
        stages: [weightStage("ten", 10), weightStage("half", 50)],
      });
      const firstId = await cli.operationId(`first-${kind}`, first);
      await cli.waitForEvent(firstId, (event) => event.type === "ActionApplied");
      const second = cli.run({
        name: `second-${kind}`,
        domain: `second-${kind}`, // another domain: only the claim on the backend keeps it waiting
        target: backend.target,
        guards: [],
        stages: [weightStage("full", 100, "0s")],
      });
      const secondId = await cli.operationId(`second-${kind}`, second);
      const queued = await cli.waitForEvent(secondId, (event) => event.type === "StageQueued");
      expect((queued.data as { code: string }).code).toBe("claim-conflict");

      const status = (await cli.status()).join("\n");
      expect(status).toMatch(new RegExp(`${secondId} .*queued: .*claimed by first-${kind}`));
      expect(status).toMatch(new RegExp(`${firstId} +running`));

      expect(await first.exitCode, first.output.join("\n")).toBe(0);
      expect(await second.exitCode, second.output.join("\n")).toBe(0);
      const completed = (await cli.events(firstId)).find((event) => event.type === "OperationCompleted");
      const started = stageEvents(await cli.events(secondId), "StageStarted", "full")[0];
      expect(started?.atMs).toBeGreaterThanOrEqual(completed?.atMs ?? Number.POSITIVE_INFINITY);
    });

    it("two operations on different backends of one domain never have two stages in transition, and status says why", async () => {
      const [a, b] = stack.backends as [Backend, Backend];
      const domain = `shared-${kind}`;
      const first = cli.run({
        name: `a-${kind}`,
        domain,
        target: a.target,
        guards: [],
        stages: [weightStage("a-ten", 10), weightStage("a-half", 50)],
      });
      const firstId = await cli.operationId(`a-${kind}`, first);
      await cli.waitForEvent(firstId, (event) => event.type === "ActionApplied");
      const second = cli.run({
        name: `b-${kind}`,
        domain,
        target: b.target,
        guards: [],
        stages: [weightStage("b-ten", 10), weightStage("b-half", 50)],
      });
      const secondId = await cli.operationId(`b-${kind}`, second);
      const queued = await cli.waitForEvent(secondId, (event) => event.type === "StageQueued");
      expect((queued.data as { message: string }).message).toMatch(/^queued: /);
      const status = (await cli.status()).join("\n");
      expect(status).toMatch(new RegExp(`${secondId} .*${domain} +queued: `));

      expect(await first.exitCode, first.output.join("\n")).toBe(0);
      expect(await second.exitCode, second.output.join("\n")).toBe(0);
      const all = [...transitions(await cli.events(firstId)), ...transitions(await cli.events(secondId))].sort(
        (x, y) => x[0] - y[0],
      );
      expect(all).toHaveLength(4);
      for (let i = 1; i < all.length; i += 1) {
        expect((all[i] as [number, number])[0]).toBeGreaterThanOrEqual((all[i - 1] as [number, number])[1]);
      }
    });
  });
}
