import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinRegistries } from "../cli/wiring.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import type { StoredEvent } from "../store/store.ts";
import { TokenSet } from "./auth.ts";
import { getOperation, sendCommand, streamEvents, submitPlan } from "./client.ts";
import { type RunningServer, startServer } from "./start-server.ts";
import { fleetPlan } from "./testing-plans.ts";

const token = "t".repeat(40);
let server: RunningServer;
const logs: string[] = [];

beforeAll(async () => {
  const tokens = TokenSet.build([{ name: "ci-bot", role: "admin", token }]);
  if (!tokens.ok) throw new Error(tokens.message);
  server = await startServer({
    store: new MemoryStore(),
    registries: builtinRegistries(),
    access: { tokens: tokens.value, publicRead: false, publicMetrics: false },
    planPolicy: { allowUrlPrefixes: [], allowEnv: [] },
    host: "127.0.0.1",
    port: 0,
    holder: "client-test",
    freezeTtlMs: 5_000,
    pollMs: 50,
    log: (line) => logs.push(line),
  });
});
afterAll(async () => {
  await server?.stop();
});

const options = () => ({ baseUrl: server.url, token });
const plan = (name: string) =>
  JSON.stringify(fleetPlan({ name, domain: name, interval: "50ms", healthyTicks: 20, bakes: ["100ms", "60s", "60s"] }));

describe("the API client", () => {
  it("submits a plan, attaches on resubmission, and reads the operation back", async () => {
    const first = await submitPlan(options(), plan("client-a"));
    const again = await submitPlan(options(), plan("client-a"));
    if (!first.ok || !again.ok) throw new Error("submission failed");
    expect([first.status, first.value.created, again.status, again.value.created]).toEqual([201, true, 200, false]);
    const read = await getOperation(options(), first.value.operation.id);
    expect(read.ok && read.value.plan).toBe("client-a");
    expect(logs.join("\n")).toContain(`created operation ${first.value.operation.id} (plan client-a) for ci-bot`);
  });

  it("returns the server's plan errors with their positions, and refusals as values", async () => {
    const invalid = await submitPlan(options(), "name: x\ndomain: [\n");
    expect(invalid).toMatchObject({ ok: false, status: 400, code: "invalid-plan" });
    expect(!invalid.ok && invalid.errors?.[0]?.line).toBeGreaterThan(0);
    const unauthorized = await getOperation({ baseUrl: server.url }, "x");
    expect(unauthorized).toMatchObject({ ok: false, status: 401, code: "unauthorized" });
    const unreachable = await getOperation({ baseUrl: "http://127.0.0.1:9" }, "x");
    expect(unreachable).toMatchObject({ ok: false, status: 0, code: "unreachable" });
  });

  it("follows the event stream live and sends commands as the token's holder", async () => {
    const submitted = await submitPlan(options(), plan("client-b"));
    if (!submitted.ok) throw new Error(submitted.message);
    const id = submitted.value.operation.id;
    const seen: StoredEvent[] = [];
    const abort = new AbortController();
    const following = streamEvents(
      options(),
      id,
      (event) => {
        seen.push(event);
        if (event.type === "StageSealed") void sendCommand(options(), id, "halt", { reason: "from the client" });
        if (event.type === "Halted") abort.abort();
      },
      { signal: abort.signal },
    );
    expect(await following).toMatchObject({ ok: true });
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)?.data).toMatchObject({ actor: "ci-bot", reason: "from the client" });
    const missing = await streamEvents(options(), "nope", () => {}, { signal: new AbortController().signal });
    expect(missing).toMatchObject({ ok: false, status: 404 });
  });
});
