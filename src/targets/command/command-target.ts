/**
 * The `command` target: runs a program (argv, no shell) once per action.
 *
 * ```yaml
 * target:
 *   kind: command
 *   apply: [node, scripts/deploy.mjs]        # AIRLOCK_ROLLBACK=1: undo the given action
 *   observe: [node, scripts/deploy.mjs, --observe]
 *   cwd: .                                   # relative to the plan's directory
 * stages:
 *   - name: canary
 *     action: { type: run, percent: 10 }     # params reach the command as AIRLOCK_ACTION and stdin
 * ```
 *
 * The command receives `AIRLOCK_OPERATION_ID`, `AIRLOCK_STAGE`,
 * `AIRLOCK_STAGE_INDEX`, `AIRLOCK_IDEMPOTENCY_KEY`, `AIRLOCK_FENCING_TOKEN`,
 * `AIRLOCK_ACTION` (the action as JSON, `{"type":"run","params":{...}}`) and
 * `AIRLOCK_ROLLBACK` (`1` or `0`), and the action JSON on stdin. It must be
 * idempotent under the key. Exit codes: 0 applied; 75 (EX_TEMPFAIL) a
 * retryable failure; 77 (EX_NOPERM) a stale fencing token (`fenced`); any
 * other a failure that is not retried. The `observe` command speaks the
 * protocol in `../observe-protocol.ts`.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { argvSchema } from "../../util/argv-schema.ts";
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { secretEnvValues } from "../../util/redact.ts";
import { exitMessage, type RunCommandResult, runCommand } from "../../util/run-command.ts";
import { observationFromText } from "../observe-protocol.ts";
import { reverseReplayRollback, runActions, simpleGatesSchema } from "../run-action.ts";
import type { ActionRequest, Observation, Target, TargetDefinition, TargetResult } from "../target.ts";

const DEFAULT_TIMEOUT_MS = 60_000;
/** sysexits.h EX_TEMPFAIL: try again later. */
export const EXIT_RETRYABLE = 75;
/** sysexits.h EX_NOPERM: the command refused a stale fencing token. */
export const EXIT_FENCED = 77;

const commandTargetConfig = z
  .object({
    apply: argvSchema.describe("Command run per action (argv, no shell)."),
    observe: argvSchema
      .optional()
      .describe('Prints the observe protocol\'s JSON; without it, `matches` is always `"unknown"`.'),
    rollback: argvSchema
      .optional()
      .describe("Run for rollback steps instead of `apply` (which otherwise runs with `AIRLOCK_ROLLBACK=1`)."),
    cwd: z.string().optional().describe("Working directory, relative to the plan's directory."),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Per command run; the whole process group is killed after it. Default 60 000."),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe(`Added to the inherited environment; values may reference \`\${ENV_NAME}\`.`),
    claims: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Objects claimed for the operation's life; default `command:<apply argv>`."),
    rollbackGates: simpleGatesSchema.optional().describe("Gates for every rollback step; default none."),
  })
  .strict();

/** Validated `command` target config. */
export type CommandTargetConfig = z.infer<typeof commandTargetConfig>;

/** The `AIRLOCK_*` variables describing one request. Pure. */
export function airlockEnv(request: Omit<ActionRequest, "signal">): Record<string, string> {
  return {
    AIRLOCK_OPERATION_ID: request.operationId,
    AIRLOCK_STAGE: request.stageName,
    AIRLOCK_STAGE_INDEX: String(request.stageIndex),
    AIRLOCK_IDEMPOTENCY_KEY: request.idempotencyKey,
    AIRLOCK_FENCING_TOKEN: String(request.fencingToken),
    AIRLOCK_ACTION: JSON.stringify(request.action),
    AIRLOCK_ROLLBACK: request.rollback ? "1" : "0",
  };
}

/**
 * The `command` target kind. `apply` runs the command every time it is
 * called (the command provides idempotency by key); `observe` runs the
 * observe command, which must not change anything. Failures are values.
 */
export const commandTargetDefinition: TargetDefinition<CommandTargetConfig> = {
  kind: "command",
  description: "Run a command (argv, no shell) per action, with the stage data and fencing token in its environment",
  config: commandTargetConfig,
  actions: runActions,
  sensorNames: () => [],
  claims: (config) => config.claims ?? [`command:${config.apply.join(" ")}`],
  defaultGates: () => ({}),
  rollback: (applied, config) => reverseReplayRollback(applied, config.rollbackGates),
  create(config, buildCtx) {
    const closed = new AbortController();
    const cwd = resolve(buildCtx.planDir, config.cwd ?? ".");

    async function run(
      what: string,
      argv: readonly string[],
      request: ActionRequest | undefined,
      signal: AbortSignal,
    ): Promise<TargetResult<string>> {
      const extraEnv = expandEnvRefs(config.env, process.env);
      if (!extraEnv.ok) return { ok: false, code: "config", message: `env ${extraEnv.message}`, retryable: false };
      const env = { ...process.env, ...extraEnv.value, ...(request === undefined ? {} : airlockEnv(request)) };
      const result = await runCommand({
        argv,
        cwd,
        env,
        stdin: request === undefined ? "" : JSON.stringify(request.action),
        timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: AbortSignal.any([signal, closed.signal]),
      });
      return classify(what, result, [...secretEnvValues(env), ...extraEnv.secrets]);
    }

    const target: Target = {
      async apply(request) {
        const argv = request.rollback && config.rollback !== undefined ? config.rollback : config.apply;
        const result = await run(
          request.rollback ? "rollback command" : "apply command",
          argv,
          request,
          request.signal,
        );
        return result.ok ? { ok: true, value: undefined } : result;
      },
      async observe(expected, signal): Promise<TargetResult<Observation>> {
        if (config.observe === undefined)
          return { ok: true, value: { observedAtMs: Date.now(), state: null, matches: "unknown" } };
        const result = await run("observe command", config.observe, expected, signal);
        return result.ok ? observationFromText(result.value, expected?.idempotencyKey, Date.now()) : result;
      },
      sensors: () => ({}),
      async close() {
        closed.abort();
      },
    };
    return target;
  },
};

/** Maps a finished run to stdout or a failure value; stderr is redacted before it reaches a message. */
function classify(what: string, result: RunCommandResult, secrets: readonly string[]): TargetResult<string> {
  if (!result.ok) {
    return { ok: false, code: result.code, message: `${what}: ${result.message}`, retryable: result.code !== "spawn" };
  }
  if (result.exitCode === 0) return { ok: true, value: result.stdout };
  const message = exitMessage(what, result, secrets);
  if (result.exitCode === EXIT_RETRYABLE) return { ok: false, code: "tempfail", message, retryable: true };
  if (result.exitCode === EXIT_FENCED) return { ok: false, code: "fenced", message, retryable: false };
  const code = result.exitCode === null ? "signal" : `exit-${result.exitCode}`;
  return { ok: false, code, message, retryable: false };
}
