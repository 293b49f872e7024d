/**
 * The contract every target kind must pass, as a vitest suite. Each kind's
 * test file calls {@link describeTargetContract} with a setup that builds
 * fresh targets (each with its own fresh state) and targets configured to
 * fail in the ways the kind can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionRequest, ActionSpec, RollbackStep, Target, TargetResult } from "./target.ts";

/** A way the kind can fail, and whether that failure may be retried. */
export interface TargetFailureCase {
  readonly name: string;
  readonly retryable: boolean;
  /** The failure's code, when the kind defines one. */
  readonly code?: string;
  /** A target (fresh or shared) on which `apply` of `action` fails this way. */
  create(): Target | Promise<Target>;
  /** The action to apply; default the fixture's first action. */
  readonly action?: ActionSpec;
}

/** What a kind's test provides to the contract suite. */
export interface TargetContractFixture {
  /** A new target with fresh state (no applies, no tokens seen) whose applies succeed. */
  create(): Target | Promise<Target>;
  /** At least two distinct actions the target accepts. */
  readonly actions: readonly ActionSpec[];
  /** The kind's rollback planning for the config `create` uses. */
  planRollback(applied: readonly ActionSpec[]): { readonly steps: readonly RollbackStep[]; readonly stopsAt?: string };
  /** The target itself rejects fencing tokens lower than one it has seen. */
  readonly checksFencingTokens: boolean;
  /** `observe` can prove whether a request took effect (else it answers `"unknown"`). */
  readonly observesApplies: boolean;
  readonly failures: readonly TargetFailureCase[];
  /** Secret values the targets were configured with; no failure message may contain one. */
  readonly secrets: readonly string[];
  /** Stops servers, removes temp files. */
  cleanup?(): Promise<void>;
}

/** Registers the contract suite for one target kind. `setup` runs once, before the tests. */
export function describeTargetContract(name: string, setup: () => Promise<TargetContractFixture>): void {
  describe(`target contract: ${name}`, () => {
    let fixture: TargetContractFixture;
    const targets: Target[] = [];
    let requests = 0;
    const fresh = async (create = () => fixture.create()): Promise<Target> => {
      const target = await create();
      targets.push(target);
      return target;
    };
    const request = (overrides: Partial<ActionRequest> = {}): ActionRequest => {
      requests += 1;
      return {
        operationId: "op-contract",
        stageName: `stage-${requests}`,
        stageIndex: 0,
        action: fixture.actions[0] ?? { type: "run", params: {} },
        idempotencyKey: `key-${requests}`,
        fencingToken: 1,
        rollback: false,
        signal: new AbortController().signal,
        ...overrides,
      };
    };
    const observe = async (target: Target, expected: ActionRequest | undefined) => {
      const observed = await target.observe(expected, new AbortController().signal);
      if (!observed.ok) throw new Error(`observe failed: ${observed.code}: ${observed.message}`);
      return observed.value;
    };

    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await Promise.all(targets.map((target) => target.close?.()));
      await fixture?.cleanup?.();
    });

    it("applies an action and reports success as a value", async () => {
      expect(await (await fresh()).apply(request())).toMatchObject({ ok: true });
    });

    it("observes an apply repeated under the same key as one apply", async () => {
      const target = await fresh();
      const once = request();
      expect(await target.apply(once)).toMatchObject({ ok: true });
      const afterOne = await observe(target, once);
      expect(await target.apply({ ...once, signal: new AbortController().signal })).toMatchObject({ ok: true });
      const afterTwo = await observe(target, once);
      expect(afterTwo.state).toEqual(afterOne.state);
      expect(afterTwo.matches).toBe(fixture.observesApplies ? true : "unknown");
    });

    it("observes without side effects", async () => {
      const target = await fresh();
      const done = request();
      const notDone = request({ action: fixture.actions[1] ?? done.action });
      await target.apply(done);
      const first = await observe(target, notDone);
      const second = await observe(target, notDone);
      expect(second.state).toEqual(first.state);
      expect(second.matches).toBe(fixture.observesApplies ? false : "unknown");
      expect((await observe(target, done)).matches).toBe(fixture.observesApplies ? true : "unknown");
    });

    it("rejects a stale fencing token as a non-retryable failure", async (ctx) => {
      if (!fixture.checksFencingTokens) ctx.skip();
      const target = await fresh();
      expect(await target.apply(request({ fencingToken: 10 }))).toMatchObject({ ok: true });
      expect(await target.apply(request({ fencingToken: 9 }))).toMatchObject({
        ok: false,
        code: "fenced",
        retryable: false,
      });
      expect(await target.apply(request({ fencingToken: 10 }))).toMatchObject({ ok: true });
      expect(await target.apply(request({ fencingToken: 11 }))).toMatchObject({ ok: true });
    });

    it("returns failures as values that say whether they are retryable", async () => {
      expect(fixture.failures.length).toBeGreaterThan(0);
      for (const failure of fixture.failures) {
        const target = await fresh(failure.create);
        const result = await target.apply(request(failure.action === undefined ? {} : { action: failure.action }));
        expect(result, failure.name).toMatchObject({ ok: false, retryable: failure.retryable });
        expect(errorOf(result).code, failure.name).toBe(failure.code ?? errorOf(result).code);
        for (const secret of fixture.secrets) expect(errorOf(result).message, failure.name).not.toContain(secret);
      }
    });

    it("returns a failure value when the apply is aborted before it starts", async () => {
      const result = await (await fresh()).apply(request({ signal: AbortSignal.abort() }));
      expect(result).toMatchObject({ ok: false, retryable: true });
    });

    it("plans rollback as steps in reverse order of the applied actions", () => {
      const applied = fixture.actions;
      const plan = fixture.planRollback(applied);
      expect(plan.steps.map((step) => step.action)).toEqual([...applied].reverse());
      expect(new Set(plan.steps.map((step) => step.name)).size).toBe(applied.length);
      expect(fixture.planRollback([]).steps).toEqual([]);
    });

    it("can be closed twice", async () => {
      const target = await fresh();
      await target.apply(request());
      await target.close?.();
      await expect(target.close?.()).resolves.toBeUndefined();
    });
  });
}

function errorOf(result: TargetResult<unknown>): { code: string; message: string } {
  return result.ok ? { code: "", message: "" } : result;
}
