import { describe, expect, it } from "vitest";
import { readFixture } from "./fixtures/read-fixture.ts";
import { parseShowInfo } from "./parse-show-info.ts";

describe("parseShowInfo", () => {
  it("reads the worker's start time, clock, pid and version from a captured answer", () => {
    const answer = readFixture("show-info.txt");
    const startSec = Number(/^Start_time_sec: (\d+)$/m.exec(answer)?.[1]);
    const uptimeSec = Number(/^Uptime_sec: (\d+)$/m.exec(answer)?.[1]);
    const pid = Number(/^Pid: (\d+)$/m.exec(answer)?.[1]);
    expect(parseShowInfo(answer)).toEqual({
      ok: true,
      value: {
        startedAtMs: startSec * 1000,
        nowMs: (startSec + uptimeSec) * 1000,
        uptimeMs: uptimeSec * 1000,
        pid,
        version: "2.6.12-1+deb12u4",
      },
    });
  });

  it("returns HAProxy's message as a command error and a truncated answer as a parse error", () => {
    expect(parseShowInfo("Unknown command.\n")).toMatchObject({ ok: false, code: "command" });
    expect(parseShowInfo("Name: HAProxy\nVersion: 2.6.12\n")).toMatchObject({ ok: false, code: "parse" });
  });
});
