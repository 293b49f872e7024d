/**
 * The `builtin-router` target kind: the traffic target over the built-in
 * router's admin API (`src/router/`).
 *
 * ```yaml
 * target:
 *   kind: builtin-router
 *   adminUrl: http://127.0.0.1:9901
 *   tokenEnv: AIRLOCK_ROUTER_TOKEN      # the admin token, from the controller's environment
 *   legacy: "v1-*"
 *   candidate: "v2-*"
 * ```
 */
import { z } from "zod";
import { BuiltinRouterDriver } from "./builtin/builtin-router-driver.ts";
import { sharedTrafficConfig } from "./traffic-config.ts";
import { trafficTargetDefinition } from "./traffic-target.ts";

const builtinRouterConfig = z.strictObject({
  adminUrl: z
    .url({ protocol: /^https?$/ })
    .transform((url) => url.replace(/\/+$/, ""))
    .describe("The router's admin API base URL."),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
    .optional()
    .describe("Name of the environment variable holding the admin token (never the token itself)."),
  ...sharedTrafficConfig,
});

/** Validated `builtin-router` target config. */
export type BuiltinRouterTargetConfig = z.infer<typeof builtinRouterConfig>;

/** Registry entry for `kind: builtin-router`. Claims `builtin-router:<adminUrl>` (the router has one pool). */
export const builtinRouterTargetDefinition = trafficTargetDefinition<BuiltinRouterTargetConfig>({
  kind: "builtin-router",
  description: "The built-in router over its admin API: weights, drain/maint, per-node hooks, displaced-work gates",
  config: builtinRouterConfig,
  claims: (config) => [`builtin-router:${config.adminUrl}`],
  driver(config, env) {
    const adminToken = config.tokenEnv === undefined ? undefined : env[config.tokenEnv];
    if (config.tokenEnv !== undefined && adminToken === undefined) {
      return {
        ok: false,
        code: "config",
        message: `environment variable ${config.tokenEnv} (the router's admin token) is not set`,
        retryable: false,
      };
    }
    const options = { adminUrl: config.adminUrl, ...(adminToken === undefined ? {} : { adminToken }) };
    return { ok: true, value: new BuiltinRouterDriver(options) };
  },
});
