import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.ts";
import type { StoredEvent } from "../store/store.ts";
import { type LocalHttpServer, startLocalHttpServer } from "../util/local-http-server.ts";
import { type Notification, notificationOf } from "./notification.ts";
import { payloadOf } from "./payloads.ts";
import { type DeliveryOutcome, WebhookNotifier } from "./webhook-notifier.ts";

const context = { plan: "checkout-v2", domain: "prod-eu", stageCount: 3 };
const event = (type: string, data: StoredEvent["data"], seq = 1): StoredEvent => ({
  operationId: "op-1",
  seq,
  type,
  atMs: 1_000,
  data,
});
const halted = (seq = 1): Notification => {
  const n = notificationOf(
    event("Halted", { code: "supercriticality", message: "v2-a errors 14/28 (50%) <b>" }, seq),
    context,
  );
  if (n === undefined) throw new Error("Halted must notify");
  return n;
};

let server: LocalHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A receiver answering with `statuses` in turn (then 200), recording bodies. */
async function receiver(statuses: number[]) {
  const bodies: unknown[] = [];
  server = await startLocalHttpServer((_req, body, res) => {
    bodies.push(JSON.parse(body));
    res.writeHead(statuses.shift() ?? 200).end();
  });
  return { url: `${server.origin}/hook/secret-path`, bodies };
}

/** Fires outcomes into a list and resolves once `count` arrived. */
function outcomes(count: number) {
  const seen: DeliveryOutcome[] = [];
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  return {
    seen,
    all,
    onOutcome: (outcome: DeliveryOutcome) => {
      seen.push(outcome);
      if (seen.length === count) done();
    },
  };
}

/** A clock whose sleeps end at once (retries without waiting). */
function instantClock(): VirtualClock {
  const clock = new VirtualClock(0);
  const sleep = clock.sleep.bind(clock);
  clock.sleep = (ms, signal) => {
    const slept = sleep(ms, signal);
    clock.advance(ms);
    return slept;
  };
  return clock;
}

describe("notifications", () => {
  it("notify on stage sealed, halt, rollback start and end, and completion only", () => {
    const types = [
      "StageSealed",
      "Halted",
      "RollbackStarted",
      "RolledBack",
      "OperationCompleted",
      "GateWaiting",
      "Tick",
    ];
    expect(types.filter((t) => notificationOf(event(t, {}), context) !== undefined)).toEqual(types.slice(0, 5));
    const sealed = notificationOf(event("StageSealed", { stage: "half", index: 1, durationMs: 2_500 }), context);
    expect(sealed?.text).toBe("checkout-v2 (op-1): stage 2/3 half sealed after 2.5s");
  });

  it("formats Slack payloads with text and blocks, escaping Slack's control characters", () => {
    const slack = payloadOf(halted(), "slack") as { text: string; blocks: { type: string }[] };
    expect(slack.text).toContain("halted in domain prod-eu: v2-a errors 14/28 (50%) &lt;b&gt;");
    expect(slack.blocks.map((b) => b.type)).toEqual(["section", "context"]);
    expect(payloadOf(halted(), "json")).toMatchObject({ source: "airlock", event: "Halted", operation: "op-1" });
  });
});

describe("WebhookNotifier", () => {
  it("retries 5xx and 429 with backoff, then delivers", async () => {
    const hook = await receiver([500, 429]);
    const result = outcomes(1);
    const notifier = new WebhookNotifier({
      url: hook.url,
      format: "json",
      clock: instantClock(),
      onOutcome: result.onOutcome,
    });
    expect(notifier.notify(halted())).toBe(true);
    await result.all;
    expect(result.seen).toEqual(["sent"]);
    expect(hook.bodies).toHaveLength(3);
    await notifier.close();
  });

  it("gives up on a 4xx without retrying, and after maxAttempts on persistent failures, never logging the URL", async () => {
    const hook = await receiver([400, 503, 503]);
    const result = outcomes(2);
    const logs: string[] = [];
    const notifier = new WebhookNotifier({
      url: hook.url,
      format: "slack",
      maxAttempts: 2,
      clock: instantClock(),
      onOutcome: result.onOutcome,
      log: (line) => logs.push(line),
    });
    notifier.notify(halted(1));
    notifier.notify(halted(2));
    await result.all;
    expect(result.seen).toEqual(["failed", "failed"]);
    expect(hook.bodies).toHaveLength(3);
    expect(logs.join("\n")).toMatch(/HTTP 400[\s\S]*HTTP 503/);
    expect(logs.join("\n")).not.toContain("secret-path");
    await notifier.close();
  });

  it("never blocks the caller: enqueues in order and drops (counted) when the queue is full", async () => {
    const hook = await receiver([]);
    const result = outcomes(5);
    const notifier = new WebhookNotifier({ url: hook.url, format: "json", maxQueue: 2, onOutcome: result.onOutcome });
    const accepted = [1, 2, 3, 4, 5].map((seq) => notifier.notify(halted(seq)));
    expect(accepted.filter((a) => !a)).toHaveLength(2);
    await result.all;
    expect(result.seen.filter((o) => o === "dropped")).toHaveLength(2);
    expect(result.seen.filter((o) => o === "sent")).toHaveLength(3);
    expect((hook.bodies as { seq: number }[]).map((b) => b.seq)).toEqual([1, 2, 3]);
    await notifier.close();
    expect(notifier.notify(halted(9))).toBe(false);
  });
});
