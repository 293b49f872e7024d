/** The HAProxy 2.6 configuration the test helper writes. Pure. */

/** One `server` line of a generated backend. */
export interface HaproxyServerSpec {
  /** e.g. `v1-a`, `v2-a`. */
  readonly name: string;
  /** `host:port`, on loopback. */
  readonly address: string;
  /** Configured weight (`srv_iweight`), default 100. */
  readonly weight?: number;
}

/** Active HTTP health checks on every generated server. */
export interface HaproxyHealthCheck {
  /** Path of `option httpchk GET`, default `/healthz`. */
  readonly path?: string;
  /** `inter`, default 500 ms. */
  readonly intervalMs?: number;
}

/** Everything {@link renderHaproxyConfig} needs: addresses chosen by the helper plus the caller's options. */
export interface HaproxyConfigInput {
  readonly socketPath: string;
  readonly tcpPort: number;
  readonly exporterPort: number;
  readonly stateFilePath: string | undefined;
  /** Backend name → frontend URL (`http://127.0.0.1:<port>`). */
  readonly frontends: Readonly<Record<string, string>>;
  readonly backends?: Readonly<Record<string, readonly HaproxyServerSpec[]>> | undefined;
  readonly balance?: string | undefined;
  readonly healthCheck?: HaproxyHealthCheck | undefined;
  /** Extra proxy sections, appended verbatim. */
  readonly extra: string;
}

/**
 * The config: `global` with the runtime API on a unix socket (`mode 600 level
 * admin`) and on TCP, the server-state file when given; `defaults` that load
 * it; the Prometheus exporter on its own frontend; one frontend and backend
 * per generated backend; then the caller's extra sections.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const withState = input.stateFilePath !== undefined;
  const lines = [
    "global",
    `  stats socket ${input.socketPath} mode 600 level admin`,
    `  stats socket 127.0.0.1:${input.tcpPort} level admin`,
    "  stats timeout 30s",
    ...(withState ? [`  server-state-file ${input.stateFilePath}`] : []),
    "",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout queue 10s",
    "  timeout check 2s",
    ...(withState ? ["  load-server-state-from-file global"] : []),
    "",
    "frontend airlock_exporter",
    `  bind 127.0.0.1:${input.exporterPort}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "",
  ];
  const check = input.healthCheck;
  const serverCheck = check === undefined ? "" : ` check inter ${check.intervalMs ?? 500} rise 1 fall 2`;
  for (const [backend, servers] of Object.entries(input.backends ?? {})) {
    const port = new URL(input.frontends[backend] ?? "").port;
    lines.push(`frontend fe_${backend}`, `  bind 127.0.0.1:${port}`, `  default_backend ${backend}`, "");
    lines.push(`backend ${backend}`, `  balance ${input.balance ?? "roundrobin"}`);
    if (check !== undefined) lines.push(`  option httpchk GET ${check.path ?? "/healthz"}`);
    for (const server of servers) {
      lines.push(`  server ${server.name} ${server.address} weight ${server.weight ?? 100}${serverCheck}`);
    }
    lines.push("");
  }
  return `${lines.join("\n")}\n${input.extra}\n`;
}
