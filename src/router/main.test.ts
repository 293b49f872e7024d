import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Start a TypeScript entry as its own process and resolve its first stdout line as JSON. */
function startProcess(entry: string, args: string[]): Promise<{ child: ChildProcess; ready: Record<string, string> }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL(entry, import.meta.url)), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${entry} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) =>
      resolve({ child, ready: JSON.parse(line) as Record<string, string> }),
    );
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("router and sample service as processes", () => {
  it("start from flags, proxy traffic, and exit cleanly on SIGTERM", async () => {
    const sample = await startProcess("../sample/main.ts", [
      "--name",
      "v1-a",
      "--version",
      "1.2.3",
      "--latency-median-ms",
      "1",
    ]);
    expect(sample.ready).toMatchObject({ event: "sample-started", name: "v1-a" });
    const router = await startProcess("./main.ts", ["--server", `v1-a=${sample.ready.url}@10`]);
    expect(router.ready).toMatchObject({ event: "router-started" });

    const response = await fetch(`${router.ready.url}/`);
    expect(await response.json()).toEqual({ name: "v1-a", version: "1.2.3" });
    const servers = (await (await fetch(`${router.ready.adminUrl}/servers`)).json()) as { servers: unknown[] };
    expect(servers.servers).toEqual([
      expect.objectContaining({ name: "v1-a", weight: 10, requestsTotal: 1, status: "UP" }),
    ]);

    const [routerCode, sampleCode] = [exited(router.child), exited(sample.child)];
    router.child.kill("SIGTERM");
    sample.child.kill("SIGTERM");
    expect([await routerCode, await sampleCode]).toEqual([0, 0]);
  });
});
