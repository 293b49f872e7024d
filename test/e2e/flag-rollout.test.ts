/**
 * Flag rollouts run by the real engine against real sample-service
 * processes that evaluate the flag in-process with flagd-core: a slow
 * evaluator holds each stage and is named; a new variant failing 50% of its
 * requests (the old one 1%) halts the rollout and restores the split; a
 * hand-broken flag file halts with a clear error and never seals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { builtinRegistries } from "../../src/cli/wiring.ts";
import { type LoadGenerator, startLoadGenerator } from "../../src/sample/load-generator.ts";
import { parsePrometheusText, sampleValue } from "../../src/targets/flagd/prometheus-text.ts";
import {
  loadTestPlan,
  startTestOperation,
  type TestOperation,
} from "../../src/targets/redis-cache/testing-operation.ts";
import { type ManagedProcess, startProcess, waitUntil } from "../services/index.ts";

const registries = builtinRegistries();
const sampleMain = resolve(import.meta.dirname, "../../src/sample/main.ts");
const example = resolve(import.meta.dirname, "../../examples/flag-rollout.yaml");
const FLAG = "new-checkout";

interface Evaluator {
  readonly name: string;
  readonly url: string;
  readonly process: ManagedProcess;
}

const dir = mkdtempSync(join(tmpdir(), "airlock-flag-"));
const flagFile = join(dir, "checkout.flagd.json");
const running: Evaluator[] = [];
const loads: LoadGenerator[] = [];
let operation: TestOperation | undefined;

afterEach(async () => {
  await Promise.all(loads.splice(0).map((load) => load.stop()));
  await operation?.stop();
  operation = undefined;
  await Promise.all(running.splice(0).map((e) => e.process.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeInitialFlagFile(): void {
  const flags = {
    $schema: "https://flagd.dev/schema/v0/flags.json",
    flags: { [FLAG]: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off" } },
  };
  writeFileSync(flagFile, `${JSON.stringify(flags, null, 2)}\n`);
}

/** Starts a sample-service process evaluating the flag; resolves once it is listening. */
async function startEvaluator(name: string, reloadMs: number, errorRates = ""): Promise<Evaluator> {
  const child = startProcess({
    name,
    command: process.execPath,
    args: ["--import", "tsx", sampleMain, "--name", name, "--latency-median-ms", "1", "--latency-p99-ms", "2"],
    env: {
      ...process.env,
      SAMPLE_FLAG_FILE: flagFile,
      SAMPLE_FLAG_KEY: FLAG,
      SAMPLE_FLAG_RELOAD_MS: String(reloadMs),
      SAMPLE_FLAG_ERROR_RATES: errorRates,
    },
  });
  let url = "";
  await waitUntil(
    `${name} to start`,
    async () => {
      const line = child
        .logs()
        .split("\n")
        .find((l) => l.includes('"sample-started"'));
      url = line === undefined ? "" : (JSON.parse(line) as { url: string }).url;
      return url !== "";
    },
    { timeoutMs: 20_000, abortWhen: () => child.exitReason() },
  );
  const evaluator = { name, url, process: child };
  running.push(evaluator);
  return evaluator;
}

async function revisionOf(evaluator: Evaluator): Promise<number | undefined> {
  const parsed = parsePrometheusText(await (await fetch(`${evaluator.url}/metrics`)).text());
  return parsed.ok ? sampleValue(parsed.samples, "sample_flag_revision", { flag: FLAG }) : undefined;
}

/** A plan over the running evaluators, written next to the flag file. */
function planFor(
  evaluators: readonly Evaluator[],
  body: string,
): { plan: ReturnType<typeof loadTestPlan>; file: string } {
  const file = join(dir, "plan.yaml");
  const list = evaluators.map((e) => `    - { name: ${e.name}, url: "${e.url}/metrics" }`).join("\n");
  writeFileSync(
    file,
    [
      "name: flag-test",
      "kind: FlagRollout",
      "domain: flags",
      "interval: 200ms",
      "target:",
      "  kind: flagd",
      "  file: checkout.flagd.json",
      `  flag: ${FLAG}`,
      '  variants: { new: "on", old: "off" }',
      "  evaluators:",
      list,
      body,
    ].join("\n"),
  );
  return { plan: loadTestPlan(file, registries), file };
}

type Stamp = { airlockRevision?: number };
function flagInFile(): { targeting?: unknown; metadata?: Stamp } {
  const document = JSON.parse(readFileSync(flagFile, "utf8")) as {
    flags: Record<string, { targeting?: unknown; metadata?: Stamp }>;
  };
  return document.flags[FLAG] ?? {};
}

describe("flag rollout through the engine with evaluator processes", () => {
  it("waits for the evaluator that is slow to reload, naming it, and seals only once it runs the new revision", async () => {
    writeInitialFlagFile();
    const evaluators = await Promise.all([
      startEvaluator("eval-a", 100),
      startEvaluator("eval-b", 100),
      startEvaluator("eval-slow", 2_500),
    ]);
    const slow = evaluators[2] as Evaluator;
    const { plan, file } = planFor(
      evaluators,
      [
        "stages:",
        "  - { name: ten, action: { type: split, percent: 10 } }",
        "  - { name: half, action: { type: split, percent: 50 } }",
      ].join("\n"),
    );
    operation = await startTestOperation(plan, file, registries);

    const waiting = await operation.waitFor("the propagated gate to name eval-slow", (s) =>
      s.gateChecks.some((c) => c.gate === "propagated" && !c.ok && c.observed === "eval-slow=0"),
    );
    expect(waiting.stageTimes[0]?.sealedAtMs).toBeUndefined();
    const appliedAtMs = waiting.stageTimes[0]?.appliedAtMs ?? Number.NaN;
    let caughtUpAtMs = Number.NaN;
    await waitUntil(
      "eval-slow to load revision 1",
      async () => {
        const revision = await revisionOf(slow);
        if (revision === 1) caughtUpAtMs = Date.now();
        return revision === 1;
      },
      { timeoutMs: 10_000, intervalMs: 25 },
    );
    const sealed = await operation.waitFor("stage ten to seal", (s) => s.stageTimes[0]?.sealedAtMs !== undefined);
    const sealedAtMs = sealed.stageTimes[0]?.sealedAtMs ?? Number.NaN;
    console.info(
      `flags: stage ten waited ${sealedAtMs - appliedAtMs} ms for eval-slow (reloadMs 2500); sealed ${sealedAtMs - caughtUpAtMs} ms after it reported revision 1`,
    );
    expect(sealedAtMs).toBeGreaterThanOrEqual(caughtUpAtMs - 50);

    const done = await operation.waitFor("completion", (s) => s.phase.kind === "completed", 30_000);
    expect(done.phase.kind).toBe("completed");
    expect(flagInFile().metadata?.airlockRevision).toBe(2);
    expect(await Promise.all(evaluators.map(revisionOf))).toEqual([2, 2, 2]);
  });

  it("halts when the new variant fails 50% of its requests while the old one fails 1%, and restores the previous split", async () => {
    writeInitialFlagFile();
    const evaluators = await Promise.all(
      ["eval-a", "eval-b", "eval-c"].map((name) => startEvaluator(name, 100, "on=0.5,off=0.01")),
    );
    for (const e of evaluators) {
      loads.push(startLoadGenerator({ url: `${e.url}/flag`, ratePerSecond: 60, durationMs: 60_000 }));
    }
    const { plan, file } = planFor(
      evaluators,
      [
        "onHalt: rollback",
        "guards:",
        "  - name: new-variant-errors",
        "    supercriticality: { requests: target.requests, errors: target.errors, ratio: 3 }",
        "stages:",
        "  - { name: twenty, action: { type: split, percent: 20 }, gates: { bake: 20s } }",
        "  - { name: everyone, action: { type: split, percent: 100 } }",
      ].join("\n"),
    );
    operation = await startTestOperation(plan, file, registries);

    const halted = await operation.waitFor(
      "a supercriticality halt",
      (s) => s.phase.kind === "halted" || s.phase.kind === "rolled_back" || (s.rollbackSteps?.length ?? 0) > 0,
    );
    const rolledBack = await operation.waitFor("the rollback", (s) => s.phase.kind === "rolled_back", 30_000);
    const events = await operation.store.listEvents(operation.runner.state.operationId, 0, 10_000);
    const halt = events.find((e) => e.type === "Halted");
    console.info(
      `flags: halted after ${(halt?.atMs ?? 0) - (rolledBack.stageTimes[0]?.appliedAtMs ?? 0)} ms at 20%: ${JSON.stringify(halt?.data)}`,
    );
    expect(halted.stageTimes[1]?.appliedAtMs).toBeUndefined();
    expect(JSON.stringify(halt?.data)).toContain("supercriticality");
    const flag = flagInFile();
    expect(flag.targeting).toBeUndefined();
    expect(flag.metadata?.airlockRevision).toBe(2);
    expect(await Promise.all(evaluators.map(revisionOf))).toEqual([2, 2, 2]);
  });

  it("halts with a clear error when the flag file is broken by hand between stages, and never seals the next stage", async () => {
    writeInitialFlagFile();
    const evaluators = await Promise.all(["eval-a", "eval-b"].map((name) => startEvaluator(name, 100)));
    const { plan, file } = planFor(
      evaluators,
      [
        "stages:",
        "  - { name: ten, action: { type: split, percent: 10 }, gates: { bake: 1s } }",
        "  - { name: half, action: { type: split, percent: 50 } }",
      ].join("\n"),
    );
    operation = await startTestOperation(plan, file, registries);
    await operation.waitFor("both evaluators on revision 1, stage ten baking", (s) =>
      s.gateChecks.some((c) => c.gate === "propagated" && c.ok),
    );
    writeFileSync(flagFile, readFileSync(flagFile, "utf8").replace('"ENABLED"', '"SOMETIMES"'));

    const halted = await operation.waitFor("the halt", (s) => s.phase.kind === "halted");
    const reason = halted.phase.kind === "halted" ? halted.phase.reason : undefined;
    // Whichever sees it first: the runner's drift check while ten seals, or the apply of half.
    expect(["drift", "action-failed"]).toContain(reason?.code);
    expect(reason?.message).toMatch(/not a valid flagd flag definition: .*state/);
    expect(halted.stageTimes[1]?.sealedAtMs).toBeUndefined();
    // The evaluators refuse the broken file too and keep evaluating revision 1.
    expect(await Promise.all(evaluators.map(revisionOf))).toEqual([1, 1]);
  });
});

describe("flag-rollout example", () => {
  it("validates, with a propagated gate over every evaluator and a one-step restore as rollback", () => {
    const plan = loadTestPlan(example, registries);
    expect(plan.kind).toBe("FlagRollout");
    expect(plan.stages.map((s) => s.action.params.percent)).toEqual([1, 10, 50, 100]);
    for (const stage of plan.stages) {
      expect(stage.gates.conditions?.propagated?.[0]?.expectNodes).toEqual(["web-a", "web-b", "web-c"]);
    }
    const rollback = registries.targets.get("flagd")?.rollback(
      plan.stages.slice(0, 2).map((s) => s.action),
      plan.target.config,
    );
    expect(rollback?.steps.map((s) => s.action)).toEqual([{ type: "restore", params: {} }]);
  });
});
