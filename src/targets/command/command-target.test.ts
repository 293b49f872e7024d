import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeTargetContract } from "../target.contract.ts";
import type { ActionRequest, ActionSpec, Target } from "../target.ts";
import { type CommandTargetConfig, commandTargetDefinition } from "./command-target.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const PASSWORD = "ledger-pa55word-secret";
const actions: ActionSpec[] = [
  { type: "run", params: { percent: 10 } },
  { type: "run", params: { percent: 50 } },
  { type: "run", params: { percent: 100 } },
];

/** A ledger target with its own fresh directory. */
function ledgerTarget(dirs: string[], overrides: Partial<CommandTargetConfig> = {}): { target: Target; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "airlock-command-target-"));
  dirs.push(dir);
  const config = commandTargetDefinition.config.parse({
    apply: [process.execPath, "ledger.mjs", "apply"],
    observe: [process.execPath, "ledger.mjs", "observe"],
    env: { LEDGER_DIR: dir, LEDGER_PASSWORD: PASSWORD },
    ...overrides,
  });
  return { target: commandTargetDefinition.create(config, { planDir: FIXTURES }), dir };
}

describeTargetContract("command", async () => {
  const dirs: string[] = [];
  return {
    create: () => ledgerTarget(dirs).target,
    actions,
    planRollback: (applied) => commandTargetDefinition.rollback(applied, { apply: ["true"] }),
    checksFencingTokens: true,
    observesApplies: true,
    failures: [
      { name: "exit 75", retryable: true, code: "tempfail", create: () => ledgerTarget(dirs).target, action: fail(75) },
      { name: "exit 3", retryable: false, code: "exit-3", create: () => ledgerTarget(dirs).target, action: fail(3) },
      {
        name: "timeout",
        retryable: true,
        code: "timeout",
        create: () => ledgerTarget(dirs, { timeoutMs: 100 }).target,
        action: { type: "run", params: { hang: true } },
      },
      {
        name: "missing program",
        retryable: false,
        code: "spawn",
        create: () => ledgerTarget(dirs, { apply: ["/nonexistent/airlock-apply"] }).target,
      },
    ],
    secrets: [PASSWORD],
    async cleanup() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("command target", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  let requests = 0;
  const request = (overrides: Partial<ActionRequest> = {}): ActionRequest => {
    requests += 1;
    return {
      operationId: "op-1",
      stageName: "canary",
      stageIndex: 2,
      action: actions[0] ?? { type: "run", params: {} },
      idempotencyKey: `key-${requests}`,
      fencingToken: 4,
      rollback: false,
      signal: new AbortController().signal,
      ...overrides,
    };
  };
  const log = (dir: string) =>
    readFileSync(join(dir, "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it("hands the command the stage data and the action", async () => {
    const { target, dir } = ledgerTarget(dirs);
    await target.apply(request({ idempotencyKey: "k-stage" }));
    expect(log(dir)).toEqual([
      {
        mode: "apply",
        key: "k-stage",
        operation: "op-1",
        stage: "canary",
        stageIndex: "2",
        rollback: "0",
        params: { percent: 10 },
      },
    ]);
  });

  it("re-runs apply with AIRLOCK_ROLLBACK=1 for rollback steps when no rollback command is set", async () => {
    const { target, dir } = ledgerTarget(dirs);
    await target.apply(request({ rollback: true }));
    expect(log(dir)).toMatchObject([{ mode: "apply", rollback: "1" }]);
  });

  it("runs the rollback command for rollback steps when one is set", async () => {
    const { target, dir } = ledgerTarget(dirs, { rollback: [process.execPath, "ledger.mjs", "undo"] });
    await target.apply(request({ rollback: false }));
    await target.apply(request({ rollback: true }));
    expect(log(dir)).toMatchObject([
      { mode: "apply", rollback: "0" },
      { mode: "undo", rollback: "1" },
    ]);
  });

  it("cannot tell whether an action landed without an observe command", async () => {
    const { target } = ledgerTarget(dirs, { observe: undefined });
    const observed = await target.observe(request(), new AbortController().signal);
    expect(observed).toMatchObject({ ok: true, value: { matches: "unknown", state: null } });
  });

  it("reports an observe command that breaks the protocol as a parse failure", async () => {
    const { target } = ledgerTarget(dirs, { observe: [process.execPath, "-e", "console.log('{}')"] });
    expect(await target.observe(request(), new AbortController().signal)).toMatchObject({
      ok: false,
      code: "parse",
      retryable: false,
    });
  });

  it("claims the apply command unless the plan names claims", () => {
    const base = { apply: ["./deploy.sh", "--prod"] };
    expect(commandTargetDefinition.claims(base)).toEqual(["command:./deploy.sh --prod"]);
    expect(commandTargetDefinition.claims({ ...base, claims: ["db:orders"] })).toEqual(["db:orders"]);
  });

  it("gates rollback steps only when configured", () => {
    const plain = commandTargetDefinition.rollback(actions, { apply: ["true"] });
    const gated = commandTargetDefinition.rollback(actions, { apply: ["true"], rollbackGates: { bakeMs: 5000 } });
    expect(plain.steps.map((step) => step.gates)).toEqual([{}, {}, {}]);
    expect(gated.steps.map((step) => step.gates.bakeMs)).toEqual([5000, 5000, 5000]);
  });
});

function fail(exit: number): ActionSpec {
  return { type: "run", params: { exit } };
}
