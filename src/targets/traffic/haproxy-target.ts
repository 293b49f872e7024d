/**
 * The `haproxy` target kind: the traffic target over HAProxy's runtime API
 * (unix socket or TCP), for one backend.
 *
 * ```yaml
 * target:
 *   kind: haproxy
 *   socket: /run/haproxy/admin.sock     # or address: 127.0.0.1:9999
 *   backend: be_app
 *   legacy: "v1-*"
 *   candidate: "v2-*"
 * ```
 *
 * Servers need health checks (`check`) for the `ready` gates: a server
 * HAProxy reports as `no check` is never counted as UP.
 *
 * Displaced work comes from `show sess` ages, which HAProxy prints in whole
 * seconds and, for a request on a reused keep-alive connection, counts from
 * when that connection went idle. Both make the count conservative: a request
 * that started just after the action may count as displaced until it
 * finishes, which delays a seal and never skips one.
 */
import { z } from "zod";
import { HaproxyDriver } from "./haproxy/haproxy-driver.ts";
import { parseRuntimeAddress } from "./haproxy/runtime-address.ts";
import { sharedTrafficConfig } from "./traffic-config.ts";
import { trafficTargetDefinition } from "./traffic-target.ts";

const haproxyConfig = z
  .strictObject({
    socket: z
      .string()
      .startsWith("/", "expected an absolute path")
      .optional()
      .describe("Runtime API unix socket (`stats socket PATH mode 600 level admin`)."),
    address: z
      .string()
      .refine((text) => parseRuntimeAddress(text)?.kind === "tcp", "expected host:port, e.g. 127.0.0.1:9999")
      .optional()
      .describe("Runtime API TCP address (`stats socket 127.0.0.1:9999 level admin`), instead of `socket`."),
    backend: z
      .string()
      .regex(/^[A-Za-z0-9._:-]+$/, "expected an HAProxy backend name")
      .describe("The backend whose servers the operation moves traffic between."),
    ...sharedTrafficConfig,
  })
  .refine((config) => (config.socket === undefined) !== (config.address === undefined), {
    message: "expected exactly one of socket, address",
  });

/** Validated `haproxy` target config. */
export type HaproxyTargetConfig = z.infer<typeof haproxyConfig>;

/** Registry entry for `kind: haproxy`. Claims `haproxy:<socket|address>#<backend>`. */
export const haproxyTargetDefinition = trafficTargetDefinition<HaproxyTargetConfig>({
  kind: "haproxy",
  description: "HAProxy backend over the runtime API: weights, drain/maint, per-node hooks, displaced-work gates",
  config: haproxyConfig,
  claims: (config) => [`haproxy:${config.socket ?? config.address}#${config.backend}`],
  driver(config) {
    const address = parseRuntimeAddress(config.socket ?? config.address ?? "");
    if (address === undefined) {
      return { ok: false, code: "config", message: "no runtime API socket or address", retryable: false };
    }
    return { ok: true, value: new HaproxyDriver({ address, backend: config.backend }) };
  },
});
