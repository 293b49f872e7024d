import { describe, expect, it } from "vitest";
import { readFixture } from "./fixtures/read-fixture.ts";
import { parseHumanDuration, parseShowSess } from "./parse-show-sess.ts";

const captured = readFixture("show-sess.txt");
const streamLine = captured.split("\n", 1)[0] ?? "";

describe("parseShowSess", () => {
  it("lists the backend's in-flight sessions with their server, skipping the CLI's own stream", () => {
    // Three requests held open on v1-a for 1.3 s; HAProxy prints "age=1s".
    expect(parseShowSess(captured, "be_app")).toEqual({
      ok: true,
      value: [
        { server: "v1-a", ageMs: 2000 },
        { server: "v1-a", ageMs: 2000 },
        { server: "v1-a", ageMs: 2000 },
      ],
    });
  });

  it("reports the upper end of HAProxy's truncated age, so a session that began before an action is never missed", () => {
    const line = streamLine.replace("age=1s", "age=1h2m");
    expect(parseShowSess(line, "be_app")).toEqual({ ok: true, value: [{ server: "v1-a", ageMs: 3_780_000 }] });
  });

  it("ignores other backends and streams still queued without a server", () => {
    const other = streamLine.replace("be=be_app", "be=be_other");
    const queued = streamLine.replace("srv=v1-a", "srv=<none>");
    expect(parseShowSess([other, queued].join("\n"), "be_app")).toEqual({ ok: true, value: [] });
  });

  it("fails with a parse error on a stream of the backend whose age cannot be read", () => {
    expect(parseShowSess(streamLine.replace("age=1s", "age=?"), "be_app")).toMatchObject({ ok: false, code: "parse" });
  });

  it("returns an answer that is not a session list as a command error", () => {
    expect(parseShowSess("Permission denied\n", "be_app")).toMatchObject({ ok: false, code: "command" });
  });
});

describe("parseHumanDuration", () => {
  it("reads HAProxy's two-unit durations with the resolution of the smallest printed unit", () => {
    expect(parseHumanDuration("0s")).toEqual({ lowerMs: 0, resolutionMs: 1000 });
    expect(parseHumanDuration("5m3s")).toEqual({ lowerMs: 303_000, resolutionMs: 1000 });
    expect(parseHumanDuration("2h")).toEqual({ lowerMs: 7_200_000, resolutionMs: 3_600_000 });
    expect(parseHumanDuration("1d4h")).toEqual({ lowerMs: 100_800_000, resolutionMs: 3_600_000 });
  });

  it("rejects anything else", () => {
    expect(["", "?", "5", "1x", "-1s", "1s "].map(parseHumanDuration)).toEqual(Array(6).fill(undefined));
  });
});
