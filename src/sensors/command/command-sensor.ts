/**
 * The `command` sensor: run a program (argv, no shell) and read a number or
 * JSON from its stdout.
 *
 * ```yaml
 * sensors:
 *   queue:
 *     kind: command
 *     command: [node, scripts/queue-depth.mjs]
 *     cwd: .                  # relative to the plan's directory
 *     path: $.depth           # stdout may also be a bare number
 * ```
 */
import { resolve } from "node:path";
import { z } from "zod";
import { argvSchema } from "../../util/argv-schema.ts";
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { secretEnvValues } from "../../util/redact.ts";
import { exitMessage, runCommand } from "../../util/run-command.ts";
import { abortedReading, failedReading } from "../failed-reading.ts";
import {
  compileJsonSelection,
  jsonSelectionShape,
  readingFromJsonText,
  refineJsonSelection,
} from "../json-selection.ts";
import type { ReadContext, Reading, Sensor, SensorDefinition } from "../sensor.ts";

const DEFAULT_TIMEOUT_MS = 5000;

const commandSensorConfig = z
  .object({
    command: argvSchema.describe("Program and arguments; no shell."),
    cwd: z.string().optional().describe("Working directory, relative to the plan's directory."),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Per read, in ms; the process group is killed after it. Default 5000."),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe(`Added to the inherited environment; values may reference \`\${ENV_NAME}\`.`),
    ...jsonSelectionShape,
  })
  .strict()
  .superRefine(refineJsonSelection);

/** Validated `command` sensor config. */
export type CommandSensorConfig = z.infer<typeof commandSensorConfig>;

/**
 * The `command` sensor kind. Each read runs the command once (in its own
 * process group, killed whole on timeout, abort or `close`); reads never
 * throw. A non-zero exit is `exit-<code>` with the last stderr line,
 * truncated and redacted. Other codes: `timeout`, `aborted`, `spawn`,
 * `signal`, `config`, `parse`, `empty`, `type`. Whether a read has side
 * effects is up to the command: it should have none.
 */
export const commandSensorDefinition: SensorDefinition<CommandSensorConfig> = {
  kind: "command",
  description: "Run a command (argv, no shell) and parse a number or JSON from its stdout",
  config: commandSensorConfig,
  create(config, buildCtx) {
    const selection = compileJsonSelection(config);
    const closed = new AbortController();
    const cwd = resolve(buildCtx.planDir, config.cwd ?? ".");

    async function read(ctx: ReadContext): Promise<Reading> {
      const startedMs = performance.now();
      const elapsedMs = (): number => ctx.nowMs + Math.round(performance.now() - startedMs);
      const signal = AbortSignal.any([ctx.signal, closed.signal]);
      if (signal.aborted) return abortedReading(signal, ctx.nowMs);
      const extraEnv = expandEnvRefs(config.env, process.env);
      if (!extraEnv.ok) return failedReading("config", `env ${extraEnv.message}`, ctx.nowMs);
      const env = { ...process.env, ...extraEnv.value };
      const result = await runCommand({
        argv: config.command,
        cwd,
        env,
        timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal,
      });
      if (!result.ok) return failedReading(result.code, result.message, elapsedMs());
      if (result.exitCode !== 0) {
        const code = result.exitCode === null ? "signal" : `exit-${result.exitCode}`;
        const message = exitMessage("command", result, [...secretEnvValues(env), ...extraEnv.secrets]);
        return failedReading(code, message, elapsedMs());
      }
      return readingFromJsonText(result.stdout, selection, elapsedMs());
    }

    const sensor: Sensor = {
      read,
      async close() {
        closed.abort();
      },
    };
    return sensor;
  },
};
