import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite-store.ts";

const here = dirname(fileURLToPath(import.meta.url));
const contender = join(here, "fixtures", "domain-contender.ts");
const rounds = 40;

function startContender(dbPath: string, logPath: string, name: string, operationIds: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ["--import", "tsx", contender, dbPath, logPath, name, String(rounds), ...operationIds],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
}

function waitFor(child: ChildProcess, event: "ready" | "exit"): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    if (event === "ready") child.stdout?.once("data", () => resolve(null));
    else child.once("exit", (code) => resolve(code));
  });
}

describe("sqlite store shared by two processes", () => {
  const dir = mkdtempSync(join(tmpdir(), "airlock-sqlite-2p-"));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("serializes runner and domain leases between processes on one file", async () => {
    const dbPath = join(dir, "airlock.db");
    const logPath = join(dir, "holds.log");
    const store = openSqliteStore(dbPath);
    await store.migrate();
    const ids = ["op-shared", "op-0", "op-1", "op-2", "op-3"];
    for (const id of ids) {
      const created = await store.createOperation({
        id,
        planName: id,
        domain: "dom-1",
        planHash: "h",
        planSource: "",
        planFile: "",
        state: {},
      });
      expect(created.ok).toBe(true);
    }
    children.push(startContender(dbPath, logPath, "proc-a", ["op-0", "op-2"]));
    children.push(startContender(dbPath, logPath, "proc-b", ["op-1", "op-3"]));
    await Promise.all(children.map((child) => waitFor(child, "ready")));
    const exits = children.map((child) => waitFor(child, "exit"));
    for (const child of children) child.stdin?.write("go\n");
    expect(await Promise.all(exits)).toEqual([0, 0]);

    const lines = readFileSync(logPath, "utf8").trim().split("\n");
    const leases = lines.filter((line) => line.startsWith("lease ")).map((line) => line.split(" ")[2]);
    expect(leases.sort()).toEqual(["granted", "refused"]);
    const holds = lines.filter((line) => !line.startsWith("lease "));
    expect(holds).toHaveLength(4 * rounds * 2);
    const overlapping = holds.filter((line, i) =>
      i % 2 === 0 ? !line.startsWith("enter ") : line !== `exit ${holds[i - 1]?.slice(6)}`,
    );
    expect(overlapping).toEqual([]);
    for (const id of ["op-0", "op-1", "op-2", "op-3"]) {
      const seqs = (await store.listEvents(id)).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 2 * rounds }, (_, i) => i + 1));
    }
    await store.close();
  });
});
