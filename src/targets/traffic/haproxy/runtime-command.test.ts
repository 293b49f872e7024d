import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectEmptyAnswer, runtimeCommand } from "./runtime-command.ts";

// A stand-in for HAProxy's non-interactive CLI: answers one line, then closes;
// "hang" never answers.
let dir: string;
let server: net.Server;
const sockets = new Set<net.Socket>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "airlock-runtime-command-"));
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("data", (line) => {
      if (line.toString() === "hang\n") return;
      socket.end(`you said: ${line}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, "cli.sock"), resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("runtimeCommand", () => {
  it("sends one line and returns the whole answer once the connection closes", async () => {
    const answer = await runtimeCommand(
      { kind: "unix", path: join(dir, "cli.sock") },
      "show info",
      AbortSignal.timeout(5000),
    );
    expect(answer).toEqual({ ok: true, value: "you said: show info\n" });
  });

  it("reports a missing socket as unreachable and retryable", async () => {
    const answer = await runtimeCommand(
      { kind: "unix", path: join(dir, "absent.sock") },
      "show info",
      AbortSignal.timeout(5000),
    );
    expect(answer).toMatchObject({ ok: false, code: "unreachable", retryable: true });
  });

  it("gives up with a timeout when the signal aborts before an answer", async () => {
    const controller = new AbortController();
    const pending = runtimeCommand({ kind: "unix", path: join(dir, "cli.sock") }, "hang", controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toMatchObject({ ok: false, code: "timeout", retryable: true });
  });

  it("refuses a command that would smuggle a second one", async () => {
    const address = { kind: "unix", path: join(dir, "cli.sock") } as const;
    for (const command of ["show info; shutdown sessions server be/s", "show info\nshow stat"]) {
      expect(await runtimeCommand(address, command, AbortSignal.timeout(5000))).toMatchObject({
        ok: false,
        code: "command",
      });
    }
  });
});

describe("expectEmptyAnswer", () => {
  it("treats HAProxy's empty answer as success and any message as a command error", () => {
    expect(expectEmptyAnswer("\n", "set weight be/s 1")).toEqual({ ok: true, value: undefined });
    expect(expectEmptyAnswer("No such server.\n\n", "set weight be/x 1")).toMatchObject({
      ok: false,
      code: "command",
      message: "set weight be/x 1: No such server.",
      retryable: false,
    });
  });
});
