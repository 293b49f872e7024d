import { describe, expect, it } from "vitest";
import { readFixture } from "./fixtures/read-fixture.ts";
import { parseShowStat } from "./parse-show-stat.ts";

const header = readFixture("show-stat.txt").split("\n", 1)[0] ?? "";

describe("parseShowStat", () => {
  it("reads sessions, requests, status and weight of every server of a captured answer", () => {
    const result = parseShowStat(readFixture("show-stat.txt"));
    expect(
      result.ok &&
        result.value.map(({ server, status, weight, currentSessions, queued, requestsTotal }) => ({
          server,
          status,
          weight,
          currentSessions,
          queued,
          requestsTotal,
        })),
    ).toEqual([
      { server: "v1-a", status: "no check", weight: 100, currentSessions: 3, queued: 0, requestsTotal: 4 },
      { server: "v1-b", status: "no check", weight: 20, currentSessions: 0, queued: 0, requestsTotal: 1 },
      { server: "v2-a", status: "DRAIN", weight: 100, currentSessions: 0, queued: 0, requestsTotal: 0 },
      { server: "v2-b", status: "MAINT", weight: 100, currentSessions: 0, queued: 0, requestsTotal: 0 },
    ]);
  });

  it("counts a node's errors as 5xx responses + response errors + connection errors", () => {
    const result = parseShowStat(readFixture("show-stat.txt"));
    // v1-b answered 500, v2-a reset the connection mid-request, v2-b refused connections.
    expect(result.ok && Object.fromEntries(result.value.map((row) => [row.server, row.errorsTotal]))).toEqual({
      "v1-a": 0,
      "v1-b": 1,
      "v2-a": 1,
      "v2-b": 3,
    });
  });

  it("skips frontend and backend summary lines", () => {
    const columns = header.slice(2).split(",");
    const line = (svname: string): string =>
      columns
        .map((name) => (name === "svname" ? svname : name === "pxname" ? "be_app" : name === "status" ? "UP" : "0"))
        .join(",");
    const result = parseShowStat([header, line("FRONTEND"), line("v1-a"), line("BACKEND")].join("\n"));
    expect(result.ok && result.value.map((row) => row.server)).toEqual(["v1-a"]);
  });

  it("counts sessions as requests when the proxy runs in TCP mode (req_tot empty)", () => {
    const columns = header.slice(2).split(",");
    const values: Record<string, string> = {
      pxname: "be_tcp",
      svname: "db-1",
      stot: "42",
      req_tot: "",
      hrsp_5xx: "",
      econ: "2",
      eresp: "1",
    };
    const result = parseShowStat([header, columns.map((name) => values[name] ?? "0").join(",")].join("\n"));
    expect(result.ok && result.value[0]).toMatchObject({ requestsTotal: 42, errorsTotal: 3 });
  });

  it("returns HAProxy's message as a command error for an unknown backend", () => {
    expect(parseShowStat(readFixture("show-stat-no-such-proxy.txt"))).toMatchObject({
      ok: false,
      code: "command",
      message: "show stat: No such proxy.",
    });
  });

  it("rejects an answer whose counters are not counts, or that lacks a column, as a parse error", () => {
    const answer = readFixture("show-stat.txt").replace("be_app,v1-a,0,0,3", "be_app,v1-a,0,0,x");
    expect(parseShowStat(answer)).toMatchObject({ ok: false, code: "parse" });
    expect(parseShowStat("# pxname,svname,status\nbe,s,UP\n")).toMatchObject({ ok: false, code: "parse" });
    expect(parseShowStat("")).toMatchObject({ ok: false, code: "parse" });
  });
});
