import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { checkSubmittedPlan, urlAllowed } from "./plan-policy.ts";

const policy = {
  allowUrlPrefixes: ["http://prom.internal:9090/", "http://stats.internal/api"],
  allowEnv: ["STATS_TOKEN"],
};

function check(plan: Record<string, unknown>) {
  return checkSubmittedPlan(stringify(plan), "plan.yaml", policy).map(({ path, message }) => ({ path, message }));
}

const base = {
  name: "p",
  domain: "d",
  sensors: { ok: { kind: "fake", script: [{ value: 0 }] } },
  target: { kind: "fake" },
  stages: [{ name: "one", action: { type: "run", candidatePercent: 10 } }],
};

describe("checkSubmittedPlan", () => {
  it("allows fake kinds and URLs under the allowlist", () => {
    expect(check(base)).toEqual([]);
    expect(
      check({
        ...base,
        sensors: {
          q: { kind: "prometheus", url: "http://prom.internal:9090/api/v1/query", query: "up" },
          s: {
            kind: "http",
            url: "http://stats.internal/api/v2",
            headers: { authorization: `Bearer $\{STATS_TOKEN}` },
          },
        },
      }),
    ).toEqual([]);
  });

  it("refuses command sensors and targets, and command hooks anywhere", () => {
    const found = check({
      ...base,
      sensors: { probe: { kind: "command", command: ["id"] } },
      target: { kind: "haproxy", hooks: { quiesce: { command: ["sh", "-c", "x"] } } },
    });
    expect(found.map((f) => f.path)).toEqual([
      "sensors.probe.kind",
      "sensors.probe.command",
      "target.hooks.quiesce.command",
    ]);
    expect(found[0]?.message).toMatch(/runs programs on the server/);
    expect(check({ ...base, target: { kind: "command", apply: ["true"] } }).map((f) => f.path)).toEqual([
      "target.kind",
    ]);
  });

  it("refuses URLs and host:port addresses outside the allowlist wherever they are", () => {
    const found = check({
      ...base,
      target: { kind: "webhook", url: "http://10.0.0.1/hook", addresses: { a: "10.0.0.2:8080" } },
      stages: [{ name: "one", action: { type: "post", params: { callback: "https://attacker.example/x" } } }],
    });
    expect(found.map((f) => f.path)).toEqual(["target.url", "target.addresses.a", "stages[0].action.params.callback"]);
    expect(found[1]?.message).toMatch(/10\.0\.0\.2:8080 is outside the server's URL allowlist/);
  });

  it("refuses server environment references and file paths", () => {
    const found = check({
      ...base,
      sensors: { s: { kind: "http", url: "http://stats.internal/api", headers: { a: `$\{AIRLOCK_TOKEN}` } } },
      target: { kind: "flagd", file: "/etc/flags.json", relative: "../secrets" },
    });
    expect(found.map((f) => f.path)).toEqual(["sensors.s.headers.a", "target.file", "target.relative"]);
    expect(found[0]?.message).toMatch(/\$\{AIRLOCK_TOKEN\}/);
  });

  it("positions each finding at its line", () => {
    const source = "name: p\ndomain: d\ntarget:\n  kind: command\n  apply: [x]\nstages: []\n";
    expect(checkSubmittedPlan(source, "p.yaml", policy)[0]).toMatchObject({
      file: "p.yaml",
      line: 4,
      path: "target.kind",
    });
  });

  it("hides credentials of refused URLs in messages", () => {
    const found = check({ ...base, target: { kind: "webhook", url: "http://user:hunter2@evil.example/" } });
    expect(found[0]?.message).not.toContain("hunter2");
  });
});

describe("urlAllowed", () => {
  const allowed = (url: string, prefix: string) => urlAllowed(new URL(url), prefix);

  it("compares scheme, host, port and path segments, never raw text", () => {
    expect(allowed("http://stats.internal/api", "http://stats.internal/api")).toBe(true);
    expect(allowed("http://stats.internal/api/x", "http://stats.internal/api")).toBe(true);
    expect(allowed("http://stats.internal/apix", "http://stats.internal/api")).toBe(false);
    expect(allowed("http://stats.internal@evil.example/api", "http://stats.internal/api")).toBe(false);
    expect(allowed("http://stats.internal.evil.example/api", "http://stats.internal")).toBe(false);
    expect(allowed("https://stats.internal/api", "http://stats.internal/")).toBe(false);
    expect(allowed("http://stats.internal:8080/", "http://stats.internal/")).toBe(false);
    expect(allowed("http://stats.internal:80/x", "http://stats.internal/")).toBe(true);
    expect(allowed("http://a/b", "not a url")).toBe(false);
  });
});
