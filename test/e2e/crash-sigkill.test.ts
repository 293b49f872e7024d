/**
 * SIGKILL of `airlock run` at 30+ seeded random points of a multi-stage
 * operation whose command target appends its idempotency key to a file:
 * each time, `airlock run` again resumes (taking over once the dead runner's
 * lease lapses) until the operation completes; after de-duplication by key
 * every stage's action was applied exactly once, in order, never before the
 * previous stage sealed; the event log has no gaps or duplicate seqs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "test/e2e/fixtures/crash/plan.yaml");
const TARGET_KILLS = 30;

/** mulberry32: a small seeded PRNG, so the kill points are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function airlock(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [join(ROOT, "bin/airlock.js"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: Buffer[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, exit, stderr: () => Buffer.concat(stderr).toString("utf8") };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("airlock run under SIGKILL", () => {
  it(`resumes and completes with every action applied once, in order, across ${TARGET_KILLS}+ kills`, {
    timeout: 600_000,
  }, async () => {
    const random = prng(20261126);
    let kills = 0;
    let rounds = 0;
    while (kills < TARGET_KILLS) {
      rounds += 1;
      const dir = mkdtempSync(join(tmpdir(), "airlock-crash-"));
      dirs.push(dir);
      const db = join(dir, "airlock.db");
      const log = join(dir, "applies.log");
      const env = { CRASH_LOG: log };
      const args = ["run", PLAN, "--store", `sqlite:${db}`, "--lease-ttl", "1s", "--json"];
      for (let attempt = 0; ; attempt += 1) {
        expect(attempt).toBeLessThan(60);
        const { child, exit, stderr } = airlock(args, env);
        child.stdout?.resume();
        // Kill points are measured from the first event line, so they land inside the operation
        // whatever the process start-up costs on a loaded machine.
        const killAfterMs = Math.floor(random() * 2500);
        let timer: NodeJS.Timeout | undefined;
        child.stdout?.once("data", () => {
          timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        });
        const code = await exit;
        clearTimeout(timer);
        if (code === 0) break;
        expect(child.signalCode, `exit ${code}: ${stderr().slice(-2000)}`).toBe("SIGKILL");
        kills += 1;
      }
      const { child: eventsChild } = airlock(
        ["events", "--store", `sqlite:${db}`, "--json", await operationId(db)],
        {},
      );
      const eventsText = await collect(eventsChild);
      const events = eventsText
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { seq: number; type: string; atMs: number; data: { stage?: string } });
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const applies = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const [key, stage, ms] = line.split(" ");
          return { key: key ?? "", stage: Number(stage), ms: Number(ms) };
        });
      const firstByKey = new Map<string, { stage: number; ms: number }>();
      for (const apply of applies) if (!firstByKey.has(apply.key)) firstByKey.set(apply.key, apply);
      expect([...firstByKey.values()].map((a) => a.stage)).toEqual([0, 1, 2, 3]);
      const sealedAt = new Map(events.filter((e) => e.type === "StageSealed").map((e) => [e.data.stage, e.atMs]));
      expect(sealedAt.size).toBe(4);
      for (const apply of applies) {
        if (apply.stage === 0) continue;
        const previousSealedMs = sealedAt.get(`s${apply.stage}`);
        expect(previousSealedMs).toBeDefined();
        expect(apply.ms).toBeGreaterThanOrEqual(previousSealedMs ?? Number.POSITIVE_INFINITY);
      }
    }
    expect(kills).toBeGreaterThanOrEqual(TARGET_KILLS);
    console.log(`SIGKILL test: ${kills} kills over ${rounds} operations, every one resumed and completed`);
  });
});

async function collect(child: ChildProcess): Promise<string> {
  const chunks: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise((done) => child.once("exit", done));
  return Buffer.concat(chunks).toString("utf8");
}

async function operationId(db: string): Promise<string> {
  const { child } = airlock(["status", "--all", "--json", "--store", `sqlite:${db}`], {});
  const status = JSON.parse(await collect(child)) as { operations: { operation: string }[] };
  const id = status.operations[0]?.operation;
  if (id === undefined) throw new Error("no operation in the store");
  return id;
}
