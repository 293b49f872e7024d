import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSensorContract } from "../sensor.contract.ts";
import type { Reading } from "../sensor.ts";
import { type CommandSensorConfig, commandSensorDefinition } from "./command-sensor.ts";

const NODE = process.execPath;
const SECRET = "hunter2-command-secret";

function sensorFor(config: Partial<CommandSensorConfig> & { script?: string }, planDir = tmpdir()) {
  const { script, ...rest } = config;
  const parsed = commandSensorDefinition.config.parse({ command: [NODE, "-e", script ?? ""], ...rest });
  return commandSensorDefinition.create(parsed, { planDir });
}

const script =
  (source: string, extra: Partial<CommandSensorConfig> = {}) =>
  () =>
    sensorFor({ script: source, ...extra });

describeSensorContract("command", async () => ({
  succeeding: script("console.log(42)"),
  hanging: script("setInterval(() => {}, 1000)"),
  failures: [
    {
      code: "exit-3",
      create: script(
        "console.error('connecting'); console.error('login failed: ' + process.env.DB_PASSWORD); process.exit(3)",
        {
          env: { DB_PASSWORD: SECRET },
        },
      ),
    },
    { code: "timeout", create: script("setInterval(() => {}, 1000)", { timeoutMs: 100 }) },
    { code: "spawn", create: () => sensorFor({ command: ["/nonexistent/airlock-probe"] }) },
    { code: "signal", create: script("process.kill(process.pid, 'SIGKILL')") },
    { code: "parse", create: script("console.log('not a number')") },
    { code: "empty", create: script("") },
    { code: "type", create: script("console.log(JSON.stringify({ x: 'a' }))", { path: "$.x" }) },
    { code: "config", create: script("console.log(1)", { env: { A: `\${AIRLOCK_UNSET_VAR}` } }) },
  ],
  secrets: [SECRET],
}));

describe("command sensor", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "airlock-command-sensor-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = (config: Partial<CommandSensorConfig> & { script?: string }, planDir?: string): Promise<Reading> =>
    sensorFor(config, planDir).read({ nowMs: 1_700_000_000_000, signal: new AbortController().signal });

  it("reads a bare number from stdout", async () => {
    expect(await read({ script: "console.log(' 12.5 ')" })).toMatchObject({
      ok: true,
      value: { type: "scalar", value: 12.5 },
    });
  });

  it("selects a vector from JSON stdout like the http sensor", async () => {
    const output = JSON.stringify({
      replicas: [
        { host: "r1", lagBytes: 0 },
        { host: "r2", lagBytes: 512 },
      ],
    });
    const reading = await read({
      script: `console.log(${JSON.stringify(output)})`,
      path: "$.replicas[*]",
      nodeKey: "host",
      valueKey: "lagBytes",
    });
    expect(reading).toMatchObject({ ok: true, value: { type: "vector", values: { r1: 0, r2: 512 } } });
  });

  it("runs in cwd relative to the plan's directory with the config's env added", async () => {
    mkdirSync(join(dir, "probes"), { recursive: true });
    writeFileSync(join(dir, "probes", "depth.mjs"), "console.log(Number(process.env.DEPTH) * 2);\n");
    const reading = await read({ command: [NODE, "depth.mjs"], cwd: "probes", env: { DEPTH: "21" } }, dir);
    expect(reading).toMatchObject({ ok: true, value: { type: "scalar", value: 42 } });
  });

  it("reports the last stderr line of a failed command with secrets redacted", async () => {
    process.env.AIRLOCK_TEST_API_TOKEN = SECRET;
    try {
      const reading = await read({
        script: "console.error('token ' + process.env.AIRLOCK_TEST_API_TOKEN + ' refused'); process.exit(2)",
      });
      expect(reading).toMatchObject({ ok: false, code: "exit-2", message: "command exited 2: token *** refused" });
    } finally {
      delete process.env.AIRLOCK_TEST_API_TOKEN;
    }
  });

  it("kills the whole process group when the read deadline passes, grandchildren included", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const source = [
      "const { spawn } = require('node:child_process');",
      "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
      `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));`,
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const controller = new AbortController();
    const pending = sensorFor({ script: source }).read({ nowMs: 0, signal: controller.signal });
    const grandchild = await waitForPid(pidFile);
    // The engine's read deadline arrives as an abort with a TimeoutError reason.
    controller.abort(new DOMException("deadline", "TimeoutError"));
    expect(await pending).toMatchObject({ ok: false, code: "timeout" });
    await waitUntilDead(grandchild);
  });
});

/** The pid the script wrote, once it has. The test timeout bounds the wait. */
async function waitForPid(pidFile: string): Promise<number> {
  for (;;) {
    const text = existsSync(pidFile) ? readFileSync(pidFile, "utf8") : "";
    if (text !== "") return Number(text);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once `pid` is gone or a zombie (killed, awaiting a reaper). The test timeout bounds the wait. */
async function waitUntilDead(pid: number): Promise<void> {
  for (;;) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? "";
    } catch {
      return;
    }
    if (state === "Z") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
