/**
 * Minimal PostgreSQL 15 cluster for the postgres e2e tests: a primary and N
 * streaming replicas (`pg_basebackup -R`), each on a free 127.0.0.1 port in a
 * temporary directory, run as the `postgres` user, `log_statement = all`.
 * Local to these tests until `test/services/` provides `startPostgres`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";

/** One running server. */
export interface PgNode {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Superuser URL over TCP with the generated admin password. */
  readonly url: string;
}

/** A running cluster; `stop()` removes every process and directory. */
export interface PgCluster {
  readonly primary: PgNode;
  readonly replicas: readonly PgNode[];
  /** The admin (superuser `postgres`) password, for env-referenced URLs. */
  readonly adminPassword: string;
  stopNode(name: string): void;
  /** Concatenated server logs of every node. */
  logs(): string;
  stop(): void;
}

/** Whether PostgreSQL 15's server binaries are installed. */
export function postgresAvailable(): boolean {
  return existsSync(join(BIN, "postgres")) && existsSync(join(BIN, "pg_basebackup"));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd: string, args: readonly string[]): void {
  const result = spawnSync("runuser", ["-u", "postgres", "--", join(BIN, cmd), ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr}${result.stdout}`);
}

/** Starts a primary and `replicas` standbys; resolves once all accept connections. */
export async function startPgCluster(options: { readonly replicas: number }): Promise<PgCluster> {
  const root = mkdtempSync(join(tmpdir(), "airlock-pg-"));
  execFileSync("chown", ["postgres:postgres", root]);
  const socketDir = join(root, "sock");
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const nodes: PgNode[] = [];
  const makeNode = async (name: string): Promise<PgNode> => {
    const port = await freePort();
    return {
      name,
      port,
      dataDir: join(root, name),
      logFile: join(root, `${name}.log`),
      url: `postgres://postgres:${adminPassword}@127.0.0.1:${port}/postgres`,
    };
  };
  const start = (node: PgNode): void => {
    asPostgres("pg_ctl", ["-D", node.dataDir, "-l", node.logFile, "-w", "-t", "30", "start"]);
    nodes.push(node);
  };
  const cluster: PgCluster = {
    get primary(): PgNode {
      const primary = nodes[0];
      if (primary === undefined) throw new Error("cluster has no primary");
      return primary;
    },
    get replicas(): readonly PgNode[] {
      return nodes.slice(1);
    },
    adminPassword,
    stopNode(name) {
      const node = nodes.find((n) => n.name === name);
      if (node !== undefined)
        spawnSync("runuser", [
          "-u",
          "postgres",
          "--",
          join(BIN, "pg_ctl"),
          "-D",
          node.dataDir,
          "-m",
          "immediate",
          "-w",
          "stop",
        ]);
    },
    logs() {
      return nodes.map((n) => (existsSync(n.logFile) ? readFileSync(n.logFile, "utf8") : "")).join("\n");
    },
    stop() {
      for (const node of [...nodes].reverse()) cluster.stopNode(node.name);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    execFileSync("runuser", ["-u", "postgres", "--", "mkdir", "-p", socketDir]);
    const pwFile = join(root, "pw");
    writeFileSync(pwFile, adminPassword);
    execFileSync("chown", ["postgres:postgres", pwFile]);
    const primary = await makeNode("primary");
    asPostgres("initdb", [
      "-D",
      primary.dataDir,
      "-U",
      "postgres",
      "--pwfile",
      pwFile,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--no-sync",
    ]);
    const settings = [
      "listen_addresses = '127.0.0.1'",
      `port = ${primary.port}`,
      `unix_socket_directories = '${socketDir}'`,
      "log_statement = 'all'",
      "fsync = off",
      "shared_buffers = '16MB'",
      "max_connections = 40",
      "wal_keep_size = '64MB'",
    ];
    writeFileSync(join(primary.dataDir, "postgresql.auto.conf"), `${settings.join("\n")}\n`);
    start(primary);
    for (let i = 0; i < options.replicas; i += 1) {
      const replica = await makeNode(`replica-${String.fromCharCode(97 + i)}`);
      asPostgres("pg_basebackup", [
        "-D",
        replica.dataDir,
        "-h",
        socketDir,
        "-p",
        String(primary.port),
        "-U",
        "postgres",
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
      ]);
      const auto = join(replica.dataDir, "postgresql.auto.conf");
      writeFileSync(auto, `${readFileSync(auto, "utf8")}port = ${replica.port}\nhot_standby_feedback = on\n`);
      start(replica);
    }
    return cluster;
  } catch (error) {
    cluster.stop();
    throw error;
  }
}

/**
 * True when PostgreSQL is installed. Otherwise prints a loud notice naming
 * the skipped tests and returns false; with `CI=true` it throws instead.
 */
export function requirePostgres(tests: string): boolean {
  if (postgresAvailable()) return true;
  const message = `PostgreSQL 15 (${BIN}/postgres) is missing; needed by "${tests}". Run scripts/install-test-deps.sh as root.`;
  if (process.env.CI === "true") throw new Error(message);
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPED: ${message}\n${bar}\n`);
  return false;
}

/**
 * One cluster per test file, started on first use by whichever suite needs
 * it first; `stop` is for the file's top-level `afterAll`.
 */
export function sharedPgCluster(options: { readonly replicas: number }): {
  get(): Promise<PgCluster>;
  stop(): Promise<void>;
} {
  let started: Promise<PgCluster> | undefined;
  return {
    get: () => {
      started ??= startPgCluster(options);
      return started;
    },
    stop: async () => {
      const cluster = await started?.catch(() => undefined);
      cluster?.stop();
    },
  };
}
