import { describe, expect, it } from "vitest";
import { eventually, send, startNamedBackend, startTestBackend } from "./router-test-support.ts";
import { startRouter } from "./start-router.ts";

describe("built-in router health checks", () => {
  it("takes a server that stops answering out of rotation and brings it back when it returns", async () => {
    const stable = await startNamedBackend("stable");
    let healthy = true;
    const flaky = await startTestBackend((req, res) => {
      req.resume();
      res.writeHead(req.url === "/healthz" && !healthy ? 503 : 200).end("flaky");
    });
    const running = await startRouter({
      listenPort: 0,
      adminPort: 0,
      healthCheck: { intervalMs: 10, fall: 2, rise: 2 },
      servers: [
        { name: "stable", url: stable.url, weight: 1 },
        { name: "flaky", url: flaky.url, weight: 1 },
      ],
    });
    const flakyStatus = () => running.control.servers().find((server) => server.name === "flaky")?.status;
    try {
      expect(flakyStatus()).toBe("UP");
      healthy = false;
      await eventually(() => flakyStatus() === "DOWN");
      const bodies = await Promise.all(Array.from({ length: 4 }, () => send(running.url).then((r) => r.body)));
      expect(bodies).toEqual(["stable", "stable", "stable", "stable"]);
      healthy = true;
      await eventually(() => flakyStatus() === "UP");
    } finally {
      await running.close();
      await Promise.all([stable.close(), flaky.close()]);
    }
  });

  it("reports `no check` when health checks are off", async () => {
    const running = await startRouter({
      listenPort: 0,
      adminPort: 0,
      healthCheck: false,
      servers: [{ name: "unchecked", url: "http://127.0.0.1:1", weight: 1 }],
    });
    try {
      expect(running.control.servers()[0]?.status).toBe("no check");
    } finally {
      await running.close();
    }
  });
});
