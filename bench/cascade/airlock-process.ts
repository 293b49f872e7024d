/**
 * Airlock's strategy in the cascade benchmark: `airlock run PLAN --json` in a
 * child process with its own SQLite store, exactly as an operator runs it.
 * Its JSON lines give the outcome, the halt time and when the operation
 * started (the process's start-up is not part of the rollout).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { RolloutContext, RolloutEnd } from "./run-strategy.ts";

const AIRLOCK_BIN = fileURLToPath(new URL("../../bin/airlock.js", import.meta.url));

/** What the JSON lines of one `airlock run --json` said. */
export interface AirlockRunLines {
  outcome?: string;
  startedAtMs?: number;
  haltedAtMs?: number;
  haltMessage?: string;
}

/** Folds one JSON line of `airlock run --json` into `seen`. Lines that are not JSON are ignored. Pure. */
export function foldRunLine(seen: AirlockRunLines, line: string): AirlockRunLines {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return seen;
  }
  if (typeof parsed !== "object" || parsed === null) return seen;
  const record = parsed as { event?: unknown; atMs?: unknown; outcome?: unknown; data?: { message?: unknown } };
  const atMs = typeof record.atMs === "number" ? record.atMs : undefined;
  if (record.event === "OperationStarted" && atMs !== undefined && seen.startedAtMs === undefined)
    return { ...seen, startedAtMs: atMs };
  if (record.event === "Halted" && atMs !== undefined && seen.haltedAtMs === undefined) {
    const message = typeof record.data?.message === "string" ? record.data.message : undefined;
    return { ...seen, haltedAtMs: atMs, ...(message === undefined ? {} : { haltMessage: message }) };
  }
  if (typeof record.outcome === "string") return { ...seen, outcome: record.outcome };
  return seen;
}

/** Runs the plan in `file` to its end in a child `airlock run`. Never rejects: a crash is outcome `failed`. */
export function runAirlockProcess(file: string, ctx: Pick<RolloutContext, "dir" | "signal">): Promise<RolloutEnd> {
  const store = `sqlite:${join(ctx.dir, `airlock-${Date.now()}.db`)}`;
  const child = spawn(process.execPath, [AIRLOCK_BIN, "run", file, "--json", "--store", store], {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  const onAbort = (): void => {
    child.kill("SIGINT");
  };
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  let seen: AirlockRunLines = {};
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (line) => {
    seen = foldRunLine(seen, line);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  return new Promise((resolve) => {
    child.on("close", (code) => {
      ctx.signal.removeEventListener("abort", onAbort);
      resolve({
        outcome: seen.outcome ?? "failed",
        ...(seen.haltedAtMs === undefined ? {} : { stoppedAtMs: seen.haltedAtMs }),
        ...(seen.startedAtMs === undefined ? {} : { startedAtMs: seen.startedAtMs }),
        ...(seen.haltMessage !== undefined
          ? { message: seen.haltMessage }
          : seen.outcome === undefined
            ? { message: `airlock run exited ${code}: ${stderr.trim()}` }
            : {}),
      });
    });
  });
}
