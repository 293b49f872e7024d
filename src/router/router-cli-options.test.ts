import { describe, expect, it } from "vitest";
import { parseRouterArgs } from "./router-cli-options.ts";

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

describe("router command line", () => {
  it("builds servers from repeated --server flags with default weight 1", () => {
    const parsed = parseRouterArgs(
      ["--listen-port", "8080", "--server", "v1-a=http://127.0.0.1:9001@100", "--server", "v2-a=http://127.0.0.1:9002"],
      {},
      noFiles,
    );
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        listenPort: 8080,
        adminPort: 0,
        servers: [
          { name: "v1-a", url: "http://127.0.0.1:9001", weight: 100 },
          { name: "v2-a", url: "http://127.0.0.1:9002", weight: 1 },
        ],
      },
    });
  });

  it("reads a JSON config file and lets flags override it", () => {
    const config = JSON.stringify({
      listenPort: 1,
      adminPort: 2,
      servers: [{ name: "a", url: "http://127.0.0.1:9001", weight: 3 }],
      healthCheck: { path: "/ready", intervalMs: 500 },
    });
    const parsed = parseRouterArgs(["--config", "r.json", "--admin-port", "7"], {}, () => config);
    expect(parsed).toMatchObject({
      ok: true,
      value: { listenPort: 1, adminPort: 7, healthCheck: { path: "/ready", intervalMs: 500 } },
    });
  });

  it("takes the admin token from the environment or a file, never from a flag", () => {
    expect(parseRouterArgs([], { AIRLOCK_ROUTER_ADMIN_TOKEN: "t1" }, noFiles)).toMatchObject({
      value: { adminToken: "t1" },
    });
    expect(parseRouterArgs(["--admin-token-file", "tok"], {}, () => "t2\n")).toMatchObject({
      value: { adminToken: "t2" },
    });
    expect(parseRouterArgs(["--admin-token", "t3"], {}, noFiles).ok).toBe(false);
  });

  it("refuses malformed servers, ports and config files", () => {
    expect(parseRouterArgs(["--server", "nourl"], {}, noFiles).ok).toBe(false);
    expect(parseRouterArgs(["--listen-port", "70000"], {}, noFiles).ok).toBe(false);
    expect(parseRouterArgs(["--config", "x"], {}, () => "{ not json").ok).toBe(false);
    expect(parseRouterArgs(["--config", "x"], {}, () => '{"servers": 3}').ok).toBe(false);
  });

  it("turns health checks off with --no-health-check", () => {
    expect(parseRouterArgs(["--no-health-check"], {}, noFiles)).toMatchObject({ value: { healthCheck: false } });
  });
});
