import { describe, expect, it } from "vitest";
import { builtinRouterTargetDefinition } from "./builtin-router-target.ts";
import { sumDrainFields } from "./drain-report.ts";
import { haproxyTargetDefinition } from "./haproxy-target.ts";
import { fillNodeUrl, parseTrafficAction } from "./traffic-config.ts";

const sets = { legacy: "v1-*", candidate: "v2-*" };

describe("traffic target config", () => {
  it("takes exactly one of an HAProxy socket path and a TCP address", () => {
    const parse = (extra: object) => haproxyTargetDefinition.config.safeParse({ backend: "be", ...sets, ...extra });
    expect(parse({ socket: "/run/h.sock" }).success).toBe(true);
    expect(parse({ address: "127.0.0.1:9999" }).success).toBe(true);
    expect(parse({}).success).toBe(false);
    expect(parse({ socket: "/run/h.sock", address: "127.0.0.1:9999" }).success).toBe(false);
    expect(parse({ socket: "relative.sock" }).success).toBe(false);
    expect(
      haproxyTargetDefinition.claims(haproxyTargetDefinition.config.parse({ backend: "be", socket: "/s", ...sets })),
    ).toEqual(["haproxy:/s#be"]);
  });

  it("names the token's environment variable, never the token, and fills fullWeight", () => {
    const config = builtinRouterTargetDefinition.config.parse({ adminUrl: "http://127.0.0.1:9901/", ...sets });
    expect(config).toMatchObject({ adminUrl: "http://127.0.0.1:9901", fullWeight: 100 });
    expect(builtinRouterTargetDefinition.claims(config)).toEqual(["builtin-router:http://127.0.0.1:9901"]);
    const token = builtinRouterTargetDefinition.config.safeParse({
      adminUrl: "http://h",
      tokenEnv: "s3cr3t!",
      ...sets,
    });
    expect(token.success).toBe(false);
  });

  it("accepts node URL templates and fills them per node", () => {
    const hooks = { quiesce: { webhook: "http://{address}/quiesce?node={name}" } };
    expect(builtinRouterTargetDefinition.config.safeParse({ adminUrl: "http://h", ...sets, hooks }).success).toBe(true);
    const bad = { quiesce: { webhook: "ftp://{address}/q" } };
    expect(builtinRouterTargetDefinition.config.safeParse({ adminUrl: "http://h", ...sets, hooks: bad }).success).toBe(
      false,
    );
    expect(fillNodeUrl("http://{address}/q?n={name}", { name: "v1 a", address: "10.0.0.1:80" })).toBe(
      "http://10.0.0.1:80/q?n=v1%20a",
    );
  });

  it("takes servers or a count for batch actions, never both", () => {
    expect(parseTrafficAction("drain", { servers: ["v1-a"] }).ok).toBe(true);
    expect(parseTrafficAction("drain", { count: 2 }).ok).toBe(true);
    expect(parseTrafficAction("drain", { servers: ["v1-a"], count: 2 }).ok).toBe(false);
    expect(parseTrafficAction("weight", { candidatePercent: 101 }).ok).toBe(false);
  });
});

describe("drain report", () => {
  it("sums the listed fields", () => {
    const body = JSON.stringify({ inflightRequests: 2, runningJobs: 1, unflushedBuffers: 0, other: 9 });
    expect(sumDrainFields(body, ["inflightRequests", "runningJobs", "unflushedBuffers"])).toEqual({
      ok: true,
      value: 3,
    });
  });

  it("fails closed on a missing or non-numeric field, or a body that is not a JSON object", () => {
    expect(sumDrainFields('{"runningJobs":"many"}', ["runningJobs"])).toMatchObject({ ok: false, code: "parse" });
    expect(sumDrainFields("{}", ["runningJobs"])).toMatchObject({ ok: false, code: "parse" });
    expect(sumDrainFields("[1]", ["runningJobs"])).toMatchObject({ ok: false, code: "parse" });
    expect(sumDrainFields("<html>", ["runningJobs"])).toMatchObject({ ok: false, code: "parse" });
  });
});
