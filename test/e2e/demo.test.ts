/**
 * `airlock demo` as a user runs it: `node bin/airlock.js demo --json` in a
 * fresh directory. SLOW: the full run (good then bad release, ~40 s here,
 * budget two minutes) is the README's main job, so it runs in full. Also:
 * Ctrl-C leaves no process behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { DemoSummary } from "../../src/demo/demo-summary.ts";

const BIN = fileURLToPath(new URL("../../bin/airlock.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "airlock-demo-test-"));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startDemo(args: readonly string[]): {
  child: ChildProcess;
  finished: Promise<Finished>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [BIN, "demo", ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const finished = new Promise<Finished>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
  return { child, finished, stderr: () => stderr };
}

/** Every process below `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited while listing.
    }
  }
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("airlock demo", () => {
  it("SLOW (~1 min): --json completes the good release with no failed request and rolls the bad one back", async () => {
    const startedAtMs = Date.now();
    const { finished } = startDemo(["--json"]);
    const { code, stdout, stderr } = await finished;
    const last = stdout.trim().split("\n").at(-1) ?? "{}";
    expect(code, `${stderr}\n${last}`).toBe(0);
    const summary = JSON.parse(last) as DemoSummary;
    expect(Date.now() - startedAtMs).toBeLessThan(120_000);
    const [good, bad] = summary.scenarios;
    expect(good).toMatchObject({ scenario: "good", outcome: "completed", failedRequests: 0 });
    expect(good?.requests).toBeGreaterThan(1000);
    expect(good?.stages.map((stage) => [stage.stage, stage.durationMs !== null])).toEqual([
      ["canary-10", true],
      ["half", true],
      ["full", true],
    ]);
    expect(bad).toMatchObject({ scenario: "bad", outcome: "rolled_back", badNode: "v2-b" });
    expect(bad?.haltEvidence).toMatchObject({ code: "supercriticality", node: "v2-b" });
    expect(bad?.haltLatencyMs).toBeGreaterThan(0);
    expect(bad?.haltTimeline?.candidateOutAtMs).not.toBeNull();
    // Only the bad node's own answers failed.
    for (const phase of bad?.phases ?? []) {
      expect(Object.keys(phase.failuresByReason).filter((reason) => reason !== "http-500")).toEqual([]);
    }
    expect(summary.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  }, 150_000);

  it("Ctrl-C stops it and every process it started", async () => {
    const { child, finished, stderr } = startDemo(["--scenario", "good", "--json"]);
    for (let attempt = 0; !stderr().includes("load generator:"); attempt += 1) {
      if (attempt > 600 || child.exitCode !== null) throw new Error(`the demo did not start:\n${stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const started = descendants(child.pid ?? 0);
    expect(started.length).toBeGreaterThanOrEqual(7); // 6 sample services and the router
    child.kill("SIGINT");
    const { code } = await finished;
    expect(code).toBe(130);
    expect(started.filter(alive)).toEqual([]);
  }, 60_000);
});
