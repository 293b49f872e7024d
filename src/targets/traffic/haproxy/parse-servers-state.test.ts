import { describe, expect, it } from "vitest";
import { readFixture } from "./fixtures/read-fixture.ts";
import { adminStateFromBits, parseServersState } from "./parse-servers-state.ts";

describe("parseServersState", () => {
  it("reads runtime and configured weights and the admin state of a captured answer", () => {
    expect(parseServersState(readFixture("show-servers-state.txt"))).toEqual({
      ok: true,
      value: [
        {
          backend: "be_app",
          server: "v1-a",
          userWeight: 100,
          initialWeight: 100,
          adminState: "ready",
          address: "127.0.0.1:41031",
        },
        {
          backend: "be_app",
          server: "v1-b",
          userWeight: 20,
          initialWeight: 50,
          adminState: "ready",
          address: "127.0.0.1:43987",
        },
        {
          backend: "be_app",
          server: "v2-a",
          userWeight: 100,
          initialWeight: 100,
          adminState: "drain",
          address: "127.0.0.1:35783",
        },
        {
          backend: "be_app",
          server: "v2-b",
          userWeight: 100,
          initialWeight: 100,
          adminState: "maint",
          address: "127.0.0.1:1",
        },
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

describe("server addresses", () => {
  it("reads srv_addr and srv_port into host:port", () => {
    const text = [
      "1",
      "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord",
      "3 be_app 1 v1-a 127.0.0.1 2 0 100 100 5 6 3 4 6 0 0 0 - 8081 -",
    ].join("\n");
    const parsed = parseServersState(text);
    expect(parsed.ok && parsed.value[0]?.address).toBe("127.0.0.1:8081");
  });
});
