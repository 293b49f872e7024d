import { describe, expect, it } from "vitest";
import { readFixture } from "./fixtures/read-fixture.ts";
import { adminStateFromBits, parseServersState } from "./parse-servers-state.ts";

describe("parseServersState", () => {
  it("reads runtime and configured weights and the admin state of a captured answer", () => {
    expect(parseServersState(readFixture("show-servers-state.txt"))).toEqual({
      ok: true,
      value: [
        { backend: "be_app", server: "v1-a", userWeight: 100, initialWeight: 100, adminState: "ready" },
        { backend: "be_app", server: "v1-b", userWeight: 20, initialWeight: 50, adminState: "ready" },
        { backend: "be_app", server: "v2-a", userWeight: 100, initialWeight: 100, adminState: "drain" },
        { backend: "be_app", server: "v2-b", userWeight: 100, initialWeight: 100, adminState: "maint" },
      ],
    });
  });

  it("treats any maintenance bit as maint, even with drain set, and drain bits as drain", () => {
    expect([0, 0x01, 0x02, 0x04, 0x08, 0x10, 0x09, 0x20].map(adminStateFromBits)).toEqual([
      "ready",
      "maint",
      "maint",
      "maint",
      "drain",
      "drain",
      "maint",
      "maint",
    ]);
  });

  it("returns HAProxy's message as a command error for an unknown backend", () => {
    expect(parseServersState(readFixture("show-servers-state-no-such-backend.txt"))).toMatchObject({
      ok: false,
      code: "command",
      message: "show servers state: Can't find backend.",
    });
  });

  it("rejects truncated lines and unknown format versions as parse errors", () => {
    const answer = readFixture("show-servers-state.txt");
    expect(parseServersState(answer.replace(/4 be_app 4 v2-b .*/, "4 be_app 4 v2-b"))).toMatchObject({
      ok: false,
      code: "parse",
    });
    expect(parseServersState(answer.replace(/^1\n/, "2\n"))).toMatchObject({ ok: false, code: "parse" });
  });
});
