/**
 * Posts notifications to one webhook without ever blocking the engine:
 * `notify` only enqueues (and drops, counted, when the bounded queue is
 * full); one worker delivers in order with bounded retries and exponential
 * backoff with jitter (5xx, 408, 429 and transport failures are retried;
 * other 4xx are not). The webhook URL is treated as a secret (Slack's is):
 * it never appears in logs.
 */
import { type Clock, realClock } from "../engine/clock.ts";
import { httpRequest } from "../util/http-request.ts";
import type { Notification } from "./notification.ts";
import { type NotifyFormat, payloadOf } from "./payloads.ts";

/** Delivery outcomes, for metrics. */
export type DeliveryOutcome = "sent" | "failed" | "dropped";

/** Options of a {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  readonly url: string;
  readonly format: NotifyFormat;
  /** Notifications waiting at most; more are dropped. Default 100. */
  readonly maxQueue?: number;
  /** Delivery attempts per notification. Default 5. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxDelayMs`. Defaults 500 ms and 30 s. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Per request. Default 5 s. */
  readonly timeoutMs?: number;
  readonly onOutcome?: (outcome: DeliveryOutcome, notification: Notification) => void;
  readonly log?: (line: string) => void;
  /** Sleeps between retries (tests inject a virtual clock). */
  readonly clock?: Clock;
}

/** A fire-and-forget webhook notifier. */
export class WebhookNotifier {
  readonly #o: WebhookNotifierOptions;
  readonly #queue: Notification[] = [];
  readonly #stop = new AbortController();
  #worker: Promise<void> | undefined;

  /** @param options see {@link WebhookNotifierOptions} */
  constructor(options: WebhookNotifierOptions) {
    this.#o = options;
  }

  /** Notifications waiting (not counting one being delivered). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Enqueues `notification`; returns false when it was dropped (queue full, or closed). Never blocks or throws. */
  notify(notification: Notification): boolean {
    if (this.#stop.signal.aborted || this.#queue.length >= (this.#o.maxQueue ?? 100)) {
      this.#o.onOutcome?.("dropped", notification);
      return false;
    }
    this.#queue.push(notification);
    this.#worker ??= this.#work().finally(() => {
      this.#worker = undefined;
    });
    return true;
  }

  /** Stops accepting; gives queued deliveries up to `deadlineMs` to finish, then abandons them. Idempotent. */
  async close(deadlineMs = 2_000): Promise<void> {
    const worker = this.#worker;
    if (worker !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([worker, new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
    }
    this.#stop.abort();
    await this.#worker;
  }

  async #work(): Promise<void> {
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      if (this.#stop.signal.aborted) {
        this.#o.onOutcome?.("dropped", next);
        continue;
      }
      this.#o.onOutcome?.((await this.#deliver(next)) ? "sent" : "failed", next);
    }
  }

  async #deliver(notification: Notification): Promise<boolean> {
    const attempts = this.#o.maxAttempts ?? 5;
    const body = JSON.stringify(payloadOf(notification, this.#o.format));
    let why = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const response = await httpRequest({
        method: "POST",
        url: this.#o.url,
        headers: { "content-type": "application/json", "user-agent": "airlock" },
        body,
        timeoutMs: this.#o.timeoutMs ?? 5_000,
        signal: this.#stop.signal,
        secrets: [this.#o.url],
      });
      if (response.ok && response.status < 300) return true;
      why = response.ok ? `HTTP ${response.status}` : response.code;
      const retryable = !response.ok || response.status >= 500 || response.status === 408 || response.status === 429;
      if (!retryable || attempt === attempts || this.#stop.signal.aborted) break;
      await (this.#o.clock ?? realClock).sleep(this.#delayMs(attempt), this.#stop.signal);
    }
    this.#o.log?.(
      `notification ${notification.event} #${notification.seq} of ${notification.operation} not delivered: ${why}`,
    );
    return false;
  }

  #delayMs(attempt: number): number {
    const base = this.#o.baseDelayMs ?? 500;
    const capped = Math.min(this.#o.maxDelayMs ?? 30_000, base * 2 ** (attempt - 1));
    return capped * (0.8 + Math.random() * 0.4);
  }
}
