/**
 * Command-line and environment options of the router process (`main.ts`).
 *
 *   --config FILE              JSON { listenPort, listenHost, adminPort, servers: [{name,url,weight,state?}], healthCheck }
 *   --listen-port N            proxy port (default 0: a free port)
 *   --listen-host ADDR         proxy address (default 127.0.0.1)
 *   --admin-port N             admin API port on 127.0.0.1 (default 0)
 *   --server NAME=URL[@W]      a server, repeatable (weight default 1)
 *   --health-path PATH         health-check path (default /healthz)
 *   --health-interval-ms N     health-check interval (default 2000)
 *   --no-health-check          no active checks (status "no check")
 *   --admin-token-file FILE    bearer token for admin mutations
 *
 * The token can also come from `AIRLOCK_ROUTER_ADMIN_TOKEN`; it is never
 * accepted as a flag, so it does not show in the process list.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import type { HealthCheckOptions } from "./health-checker.ts";
import type { RouterOptions } from "./start-router.ts";

/** Parsed options or a usage error. */
export type ParsedRouterArgs =
  | { readonly ok: true; readonly value: RouterOptions }
  | { readonly ok: false; readonly message: string };

const Port = z.number().int().min(0).max(65_535);
const ServerSchema = z.object({
  name: z.string(),
  url: z.string(),
  weight: z.number(),
  state: z.enum(["ready", "drain", "maint"]).optional(),
});
const ConfigFile = z.object({
  listenPort: Port.optional(),
  listenHost: z.string().optional(),
  adminPort: Port.optional(),
  servers: z.array(ServerSchema).optional(),
  healthCheck: z
    .union([
      z.literal(false),
      z.object({
        path: z.string().optional(),
        intervalMs: z.number().int().positive().optional(),
        timeoutMs: z.number().int().positive().optional(),
        fall: z.number().int().positive().optional(),
        rise: z.number().int().positive().optional(),
      }),
    ])
    .optional(),
});

/**
 * Parse `argv` (without node and script). `readText` reads a file (injected
 * for tests). Flags override the config file. Pure apart from `readText`.
 */
export function parseRouterArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readText: (path: string) => string,
): ParsedRouterArgs {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const values = flags.values;
  let file: z.infer<typeof ConfigFile> = {};
  if (values.config !== undefined) {
    const parsed = readConfigFile(values.config, readText);
    if (!parsed.ok) return parsed;
    file = parsed.value;
  }
  const servers = [...(file.servers ?? [])];
  for (const spec of values.server ?? []) {
    const match = /^([^=]+)=(http:\/\/[^@]+)(?:@(\d+))?$/.exec(spec);
    if (match?.[1] === undefined || match[2] === undefined) {
      return { ok: false, message: `--server must be NAME=URL[@WEIGHT], got ${spec}` };
    }
    servers.push({ name: match[1], url: match[2], weight: match[3] === undefined ? 1 : Number(match[3]) });
  }
  const listenPort = portFlag(values["listen-port"]) ?? file.listenPort ?? 0;
  const adminPort = portFlag(values["admin-port"]) ?? file.adminPort ?? 0;
  if (Number.isNaN(listenPort) || Number.isNaN(adminPort))
    return { ok: false, message: "ports must be integers 0-65535" };
  const token =
    values["admin-token-file"] === undefined
      ? env.AIRLOCK_ROUTER_ADMIN_TOKEN
      : readText(values["admin-token-file"]).trim();
  const listenHost = values["listen-host"] ?? file.listenHost;
  return {
    ok: true,
    value: {
      listenPort,
      adminPort,
      servers,
      healthCheck: healthOptions(values, file.healthCheck),
      ...(listenHost === undefined ? {} : { listenHost }),
      ...(token === undefined || token === "" ? {} : { adminToken: token }),
    },
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      config: { type: "string" },
      "listen-port": { type: "string" },
      "listen-host": { type: "string" },
      "admin-port": { type: "string" },
      server: { type: "string", multiple: true },
      "health-path": { type: "string" },
      "health-interval-ms": { type: "string" },
      "no-health-check": { type: "boolean" },
      "admin-token-file": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
}

function readConfigFile(
  path: string,
  readText: (path: string) => string,
): { ok: true; value: z.infer<typeof ConfigFile> } | { ok: false; message: string } {
  try {
    const parsed = ConfigFile.safeParse(JSON.parse(readText(path)));
    if (parsed.success) return { ok: true, value: parsed.data };
    return { ok: false, message: `invalid config ${path}: ${z.prettifyError(parsed.error)}` };
  } catch (error) {
    return { ok: false, message: `cannot read config ${path}: ${(error as Error).message}` };
  }
}

function portFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : Number.NaN;
}

function healthOptions(
  values: {
    readonly "no-health-check"?: boolean;
    readonly "health-path"?: string;
    readonly "health-interval-ms"?: string;
  },
  fromFile: HealthCheckOptions | false | undefined,
): HealthCheckOptions | false {
  if (values["no-health-check"] === true || fromFile === false) return false;
  const path = values["health-path"];
  const intervalMs = values["health-interval-ms"] === undefined ? undefined : Number(values["health-interval-ms"]);
  return {
    ...fromFile,
    ...(path === undefined ? {} : { path }),
    ...(intervalMs === undefined || !Number.isFinite(intervalMs) || intervalMs <= 0 ? {} : { intervalMs }),
  };
}
