/**
 * `airlock run PLAN --server URL` submits to a running `airlock serve`, follows
 * the operation there, and exits like a local run; without the token the
 * server refuses and nothing runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "run-server-test-admin-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "airlock-run-server-"));
let serve: ChildProcess | undefined;
let baseUrl = "";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function airlock(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, "bin/airlock.js"), ...args], {
    cwd: ROOT,
    env: { ...process.env, AIRLOCK_TOKEN: "", ...env },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  return new Promise((done) =>
    child.once("exit", (code) =>
      done({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    ),
  );
}

beforeAll(async () => {
  writeFileSync(join(dir, "token"), TOKEN);
  writeFileSync(
    join(dir, "plan.yaml"),
    [
      "name: remote-test",
      "domain: remote",
      "interval: 200ms",
      "sensors:",
      "  settled: { kind: fake, script: [{ value: 0 }] }",
      "target: { kind: fake }",
      "stages:",
      "  - { name: one, action: { type: run }, gates: { drained: [{ sensor: settled, max: 0 }], bake: 300ms } }",
      "  - { name: two, action: { type: run }, gates: { drained: [{ sensor: settled, max: 0 }] } }",
    ].join("\n"),
  );
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  serve = spawn(
    process.execPath,
    [
      join(ROOT, "bin/airlock.js"),
      "serve",
      "--port",
      String(port),
      "--store",
      `sqlite:${join(dir, "db")}`,
      "--token-file",
      join(dir, "token"),
    ],
    {
      cwd: ROOT,
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 100; i += 1) {
    const ready = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("airlock serve did not become healthy");
}, 60_000);

afterAll(() => {
  serve?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

describe("airlock run --server", () => {
  it("submits the plan, follows it on the server and exits 0 when it completes", async () => {
    const run = await airlock([
      "run",
      join(dir, "plan.yaml"),
      "--server",
      baseUrl,
      "--token-file",
      join(dir, "token"),
      "--json",
    ]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
      outcome?: string;
      stages?: unknown[];
    };
    expect(summary.outcome).toBe("completed");
    expect(summary.stages).toHaveLength(2);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it("is refused without the token, and says so", async () => {
    const run = await airlock(["run", join(dir, "plan.yaml"), "--server", baseUrl]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("401");
  });
});
