/**
 * Active health checks for the built-in router: an HTTP GET on every server
 * at a fixed interval. A server goes DOWN after `fall` consecutive failures
 * and UP after `rise` consecutive successes; its first check decides at once.
 */
import { request } from "node:http";
import type { Backend } from "./backend.ts";

/** Active health-check settings. */
export interface HealthCheckOptions {
  /** Path requested on every server; a 2xx or 3xx answer is a success. Default `/healthz`. */
  readonly path?: string | undefined;
  /** Time between checks of one server. Default 2000. */
  readonly intervalMs?: number | undefined;
  /** A check without an answer within this time fails. Default 1000. */
  readonly timeoutMs?: number | undefined;
  /** Consecutive failures that make an UP server DOWN. Default 2. */
  readonly fall?: number | undefined;
  /** Consecutive successes that make a DOWN server UP. Default 1. */
  readonly rise?: number | undefined;
}

interface CheckState {
  checked: boolean;
  streak: number;
  lastOk: boolean;
}

/** A running health checker. */
export interface HealthChecker {
  /** Check one server now and apply the result; resolves when its status is updated. */
  checkNow(backend: Backend): Promise<void>;
  /** Stop checking. Idempotent. */
  stop(): void;
}

/**
 * Check every server `list()` returns, every `intervalMs`, until stopped.
 * Servers added later are picked up on the next round.
 */
export function startHealthChecks(list: () => readonly Backend[], options: HealthCheckOptions): HealthChecker {
  const path = options.path ?? "/healthz";
  const intervalMs = options.intervalMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 1000;
  const fall = options.fall ?? 2;
  const rise = options.rise ?? 1;
  const states = new WeakMap<Backend, CheckState>();
  const running = new WeakMap<Backend, Promise<void>>();
  let stopped = false;

  const apply = (backend: Backend, ok: boolean): void => {
    const state = states.get(backend) ?? { checked: false, streak: 0, lastOk: ok };
    state.streak = state.lastOk === ok ? state.streak + 1 : 1;
    state.lastOk = ok;
    if (!state.checked || state.streak >= (ok ? rise : fall)) backend.health = ok ? "UP" : "DOWN";
    state.checked = true;
    states.set(backend, state);
  };

  const checkNow = (backend: Backend): Promise<void> => {
    const pending = running.get(backend);
    if (pending !== undefined) return pending;
    const check = probe(new URL(path, backend.url), timeoutMs).then((ok) => {
      running.delete(backend);
      if (!stopped) apply(backend, ok);
    });
    running.set(backend, check);
    return check;
  };

  const timer = setInterval(() => {
    for (const backend of list()) void checkNow(backend);
  }, intervalMs);
  timer.unref();

  return {
    checkNow,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** One GET; resolves `true` on 2xx/3xx, `false` on anything else. Never rejects. */
function probe(url: URL, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on("timeout", () => req.destroy(new Error("health check timed out")));
    req.on("error", () => resolve(false));
    req.end();
  });
}
