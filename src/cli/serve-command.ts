/**
 * `airlock serve`: the long-running controller with the HTTP API, the
 * dashboard and `/metrics`. Every flag has an environment variable
 * (documented in docs/api.md). It prints the URL it listens on, runs until
 * SIGINT or SIGTERM, then shuts down gracefully (its runners release their
 * leases so another controller can take over at once).
 */
import { type Command, Option } from "commander";
import { startServer } from "../api/start-server.ts";
import { loadTokenSet } from "../api/token-sources.ts";
import { parseDurationMs } from "../plan/duration.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import type { CliContext } from "./main.ts";
import { storeOption } from "./main.ts";
import { holderId } from "./run-operation.ts";
import { builtinRegistries } from "./wiring.ts";
import { withStore } from "./with-store.ts";

interface ServeOptions {
  readonly port: string;
  readonly host: string;
  readonly store: string;
  readonly tokenFile?: string;
  readonly readTokenFile?: string;
  readonly ackTokenFile?: string;
  readonly publicRead?: boolean;
  readonly publicMetrics?: boolean;
  readonly allowUrlPrefix: string[];
  readonly allowPlanEnv: string[];
  readonly corsOrigin?: string;
  readonly notifyWebhook?: string;
  readonly notifyFormat: "json" | "slack";
  readonly freezeTtl: string;
  readonly leaseTtl: string;
  readonly poll: string;
  readonly heartbeat: string;
  readonly accessLog?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const fromEnvList = (name: string): string[] => (process.env[name] ?? "").split(/[\s,]+/).filter((item) => item !== "");

/** Registers `serve`. */
export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command("serve")
    .description("run the controller with the HTTP API, the live dashboard and /metrics")
    .addOption(new Option("--port <n>", "port to listen on (0: any free port)").env("AIRLOCK_PORT").default("8080"))
    .addOption(new Option("--host <addr>", "address to bind").env("AIRLOCK_HOST").default("127.0.0.1"))
    .addOption(storeOption())
    .addOption(
      new Option("--token-file <path>", "admin token (one line; or set AIRLOCK_TOKEN)").env("AIRLOCK_TOKEN_FILE"),
    )
    .addOption(
      new Option("--read-token-file <path>", "read-only tokens, one name:token per line").env(
        "AIRLOCK_READ_TOKEN_FILE",
      ),
    )
    .addOption(
      new Option("--ack-token-file <path>", "per-consumer ack tokens, one consumer:token per line").env(
        "AIRLOCK_ACK_TOKEN_FILE",
      ),
    )
    .addOption(new Option("--public-read", "allow reads (and /metrics) without a token").env("AIRLOCK_PUBLIC_READ"))
    .addOption(new Option("--public-metrics", "allow /metrics without a token").env("AIRLOCK_PUBLIC_METRICS"))
    .option(
      "--allow-url-prefix <prefix>",
      "URL prefix that plans submitted over the API may use (repeatable; also AIRLOCK_ALLOW_URL_PREFIXES)",
      collect,
      fromEnvList("AIRLOCK_ALLOW_URL_PREFIXES"),
    )
    .option(
      "--allow-plan-env <name>",
      "environment variable name that plans submitted over the API may reference (repeatable)",
      collect,
      fromEnvList("AIRLOCK_ALLOW_PLAN_ENV"),
    )
    .addOption(
      new Option("--cors-origin <origin>", "the one origin allowed cross-origin calls").env("AIRLOCK_CORS_ORIGIN"),
    )
    .addOption(new Option("--notify-webhook <url>", "POST notifications here").env("AIRLOCK_NOTIFY_WEBHOOK"))
    .addOption(
      new Option("--notify-format <format>", "notification payload")
        .choices(["json", "slack"])
        .env("AIRLOCK_NOTIFY_FORMAT")
        .default("json"),
    )
    .addOption(
      new Option("--freeze-ttl <duration>", "a halted operation's freeze expires this long after its last renewal")
        .env("AIRLOCK_FREEZE_TTL")
        .default("60s"),
    )
    .addOption(new Option("--lease-ttl <duration>", "runner lease TTL").env("AIRLOCK_LEASE_TTL").default("15s"))
    .addOption(
      new Option("--poll <duration>", "how often to look for operations to run").env("AIRLOCK_POLL").default("500ms"),
    )
    .addOption(new Option("--heartbeat <duration>", "event stream heartbeat interval").default("15s").hideHelp())
    .addOption(new Option("--access-log", "log one line per request (never query strings)").env("AIRLOCK_ACCESS_LOG"))
    .action(async (opts: ServeOptions) => {
      ctx.exitCode = await serve(opts, ctx);
    });
}

async function serve(opts: ServeOptions, ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port: expected 0-65535`);
  const tokens = await loadTokenSet({
    ...(process.env.AIRLOCK_TOKEN === undefined ? {} : { adminToken: process.env.AIRLOCK_TOKEN }),
    ...(opts.tokenFile === undefined ? {} : { adminTokenFile: opts.tokenFile }),
    ...(opts.readTokenFile === undefined ? {} : { readTokenFile: opts.readTokenFile }),
    ...(opts.ackTokenFile === undefined ? {} : { ackTokenFile: opts.ackTokenFile }),
  });
  if (!tokens.ok) throw new UsageError(tokens.message);
  const log = (line: string): void => out.error(`airlock serve: ${line}`);
  if (tokens.value.size === 0) log("no tokens configured: every mutation will be refused");
  return withStore(opts.store, async (store) => {
    const server = await startServer({
      store,
      registries: builtinRegistries(),
      access: {
        tokens: tokens.value,
        publicRead: opts.publicRead === true,
        publicMetrics: opts.publicMetrics === true,
      },
      planPolicy: { allowUrlPrefixes: opts.allowUrlPrefix, allowEnv: opts.allowPlanEnv },
      host: opts.host,
      port,
      holder: holderId(),
      freezeTtlMs: duration(opts.freezeTtl, "--freeze-ttl", 1_000),
      leaseTtlMs: duration(opts.leaseTtl, "--lease-ttl", 300),
      pollMs: duration(opts.poll, "--poll", 50),
      heartbeatMs: duration(opts.heartbeat, "--heartbeat", 100),
      accessLog: opts.accessLog === true,
      log,
      ...(opts.corsOrigin === undefined ? {} : { corsOrigin: opts.corsOrigin }),
      ...(opts.notifyWebhook === undefined ? {} : { notify: { url: opts.notifyWebhook, format: opts.notifyFormat } }),
    });
    out.line(`airlock serve: listening on ${server.url} (dashboard ${server.url}/, metrics ${server.url}/metrics)`);
    log(`${await nextSignal()}: shutting down`);
    await server.stop();
    log("stopped");
    return ExitCode.completed;
  });
}

/** Resolves with the first SIGINT or SIGTERM (and stops listening for both). */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

function duration(text: string, flag: string, minMs: number): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < minMs)
    throw new UsageError(`${flag}: expected a duration of at least ${minMs}ms, like 30s`);
  return ms;
}
