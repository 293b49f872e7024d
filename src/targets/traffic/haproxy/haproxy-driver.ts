/**
 * {@link RouterDriver} over HAProxy's runtime API (unix socket or TCP), for
 * one backend. Every call opens its own connection, so a call that timed out
 * leaves nothing half-read behind, and a restarted HAProxy is picked up on
 * the next call.
 */

import type { TargetResult } from "../../target.ts";
import type { AdminState, RouterDriver, ServerStat, SessionInfo } from "../router-driver.ts";
import { parseServersState } from "./parse-servers-state.ts";
import { type HaproxyInfo, parseShowInfo } from "./parse-show-info.ts";
import { parseShowSess } from "./parse-show-sess.ts";
import { parseShowStat } from "./parse-show-stat.ts";
import type { RuntimeAddress } from "./runtime-address.ts";
import { expectEmptyAnswer, failure, runtimeCommand } from "./runtime-command.ts";

/** HAProxy's proxy and server names: letters, digits, `-`, `_`, `.`, `:`. */
const NAME = /^[A-Za-z0-9._:-]+$/;

/** HAProxy's largest server weight. */
export const MAX_HAPROXY_WEIGHT = 256;

/** Where to reach HAProxy and which backend this driver manages. */
export interface HaproxyDriverOptions {
  readonly address: RuntimeAddress;
  readonly backend: string;
}

/** Runtime-API driver for one HAProxy backend. Stateless between calls; safe to use concurrently. */
export class HaproxyDriver implements RouterDriver {
  readonly #address: RuntimeAddress;
  readonly #backend: string;

  constructor(options: HaproxyDriverOptions) {
    this.#address = options.address;
    this.#backend = options.backend;
  }

  /** `show stat` joined with `show servers state` (for `srv_uweight`, `srv_iweight` and the admin state). */
  async servers(signal: AbortSignal): Promise<TargetResult<readonly ServerStat[]>> {
    const backend = this.#checkedName(this.#backend);
    if (!backend.ok) return backend;
    const [statAnswer, stateAnswer] = await Promise.all([
      this.#command(`show stat ${backend.value} 4 -1`, signal),
      this.#command(`show servers state ${backend.value}`, signal),
    ]);
    if (!statAnswer.ok) return statAnswer;
    if (!stateAnswer.ok) return stateAnswer;
    const stats = parseShowStat(statAnswer.value);
    if (!stats.ok) return stats;
    const states = parseServersState(stateAnswer.value);
    if (!states.ok) return states;

    const stateByName = new Map(states.value.map((row) => [row.server, row]));
    const servers: ServerStat[] = [];
    for (const stat of stats.value) {
      if (stat.proxy !== backend.value) continue;
      const state = stateByName.get(stat.server);
      // Both answers come from separate connections; a server added or removed in between is retried by the caller.
      if (state === undefined) return failure("parse", `server ${stat.server} missing from show servers state`, true);
      servers.push({
        name: stat.server,
        weight: state.userWeight,
        initialWeight: state.initialWeight,
        adminState: state.adminState,
        status: stat.status,
        currentSessions: stat.currentSessions,
        queued: stat.queued,
        requestsTotal: stat.requestsTotal,
        errorsTotal: stat.errorsTotal,
        ...(state.address === undefined ? {} : { address: state.address }),
      });
    }
    return { ok: true, value: servers };
  }

  /** In-flight streams of the backend from `show sess`; `ageMs` is an upper bound (see `parseShowSess`). */
  async sessions(signal: AbortSignal): Promise<TargetResult<readonly SessionInfo[]>> {
    const answer = await this.#command("show sess", signal);
    return answer.ok ? parseShowSess(answer.value, this.#backend) : answer;
  }

  /** `set weight backend/server N`, N an integer in 0–256. Idempotent. */
  async setWeight(server: string, weight: number, signal: AbortSignal): Promise<TargetResult<void>> {
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_HAPROXY_WEIGHT) {
      return failure("command", `weight ${weight} is not an integer in 0–${MAX_HAPROXY_WEIGHT}`, false);
    }
    return this.#set(server, (target) => `set weight ${target} ${weight}`, signal);
  }

  /** `set server backend/server state ready|drain|maint`. Idempotent. */
  async setState(server: string, state: AdminState, signal: AbortSignal): Promise<TargetResult<void>> {
    return this.#set(server, (target) => `set server ${target} state ${state}`, signal);
  }

  /** `show info`: process start (to notice reloads), HAProxy's clock, worker pid and version. */
  async info(signal: AbortSignal): Promise<TargetResult<HaproxyInfo>> {
    const answer = await this.#command("show info", signal);
    return answer.ok ? parseShowInfo(answer.value) : answer;
  }

  /** Nothing to release: every call uses its own connection. Idempotent. */
  async close(): Promise<void> {}

  async #set(server: string, build: (target: string) => string, signal: AbortSignal): Promise<TargetResult<void>> {
    const backend = this.#checkedName(this.#backend);
    if (!backend.ok) return backend;
    const name = this.#checkedName(server);
    if (!name.ok) return name;
    const command = build(`${backend.value}/${name.value}`);
    const answer = await this.#command(command, signal);
    return answer.ok ? expectEmptyAnswer(answer.value, command) : answer;
  }

  #command(command: string, signal: AbortSignal): Promise<TargetResult<string>> {
    return runtimeCommand(this.#address, command, signal);
  }

  #checkedName(name: string): TargetResult<string> {
    return NAME.test(name) ? { ok: true, value: name } : failure("command", `invalid HAProxy name "${name}"`, false);
  }
}
