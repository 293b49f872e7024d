import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./free-port.ts";
import { type ManagedProcess, startProcess } from "./managed-process.ts";
import { type ServiceHandle, ServiceProcesses } from "./service-handle.ts";
import { waitUntil } from "./wait-until.ts";

/** Where Debian's PostgreSQL 15 server binaries live. */
export const POSTGRES_BIN_DIR = "/usr/lib/postgresql/15/bin";

/** A `postgresql.conf` value: strings are quoted, booleans become `on`/`off`. */
export type PostgresSetting = string | number | boolean;

/** How to reach one PostgreSQL instance over TCP on loopback, as the superuser. */
export interface PostgresInstance {
  /** `primary`, `replica-0`, `replica-1` (a replica's `cluster_name`, hence its `application_name` in `pg_stat_replication`). */
  readonly name: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: "postgres";
  /** The generated superuser password (scram-sha-256). Test data only; never log it. */
  readonly password: string;
  readonly database: "postgres";
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  readonly connectionString: string;
}

/** A primary and its streaming replicas. */
export interface PostgresService extends ServiceHandle {
  readonly primary: PostgresInstance;
  readonly replicas: readonly PostgresInstance[];
  /** Directory of the unix sockets (local connections are trusted). */
  readonly socketDir: string;
  /** Fast shutdown of replica `i`; its slot keeps WAL for it. Idempotent. */
  stopReplica(i: number): Promise<void>;
  /** Starts replica `i` again and waits until it streams from the primary. Idempotent. */
  startReplica(i: number): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Streaming replicas made with `pg_basebackup` (0–2 in practice), default 0. */
  readonly replicas?: number;
  /** Extra `postgresql.conf` settings for the primary, copied to replicas (e.g. `{ log_statement: "all" }`). */
  readonly settings?: Readonly<Record<string, PostgresSetting>>;
  /** Deadline per step (initdb, base backup, start), default 20 000 ms. */
  readonly timeoutMs?: number;
}

const BASE_SETTINGS: Readonly<Record<string, PostgresSetting>> = {
  listen_addresses: "127.0.0.1",
  fsync: false,
  shared_buffers: "32MB",
  max_wal_senders: 10,
  hot_standby: true,
  logging_collector: false,
  log_line_prefix: "%m [%p] %q%a ",
};

/**
 * Starts PostgreSQL 15 from Debian's binaries on loopback: `initdb` in a
 * fresh temporary directory owned by the `postgres` user (PostgreSQL refuses
 * to run as root, so commands run through `runuser -u postgres --` when this
 * process is root), a primary, and `replicas` streaming replicas made with
 * `pg_basebackup -R` and a replication slot each. Password authentication
 * (scram-sha-256) over TCP; trust over the unix socket. Resolves once every
 * instance accepts connections and every replica streams; throws with the
 * server logs otherwise.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresService> {
  const dataDirs = new Map<ManagedProcess, string>();
  const service = new ServiceProcesses("postgres", (child) => stopServer(child, dataDirs.get(child)));
  const timeoutMs = options.timeoutMs ?? 20_000;
  const owner = postgresOwner();
  const socketDir = join(service.dir, "sock");
  mkdirSync(socketDir);
  chownTree(service.dir, owner);
  chownTree(socketDir, owner);
  const password = randomBytes(18).toString("base64url");
  const replicaCount = options.replicas ?? 0;
  const instances: PostgresInstance[] = [];
  for (const name of ["primary", ...Array.from({ length: replicaCount }, (_, i) => `replica-${i}`)]) {
    const port = await freePort();
    const connectionString = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    instances.push({
      name,
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
      connectionString,
    });
  }
  const [primary, ...replicas] = instances;
  if (primary === undefined) throw new Error("unreachable: the primary is always listed");
  const dataDir = (instance: PostgresInstance): string => join(service.dir, instance.name);
  const running = new Map<string, ManagedProcess>();

  const run = (command: string, args: readonly string[]): Promise<void> =>
    runAsPostgres(owner, join(POSTGRES_BIN_DIR, command), args, timeoutMs);

  const appendSettings = (instance: PostgresInstance, settings: Readonly<Record<string, PostgresSetting>>): void => {
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${renderSetting(value)}`);
    appendFileSync(join(dataDir(instance), "postgresql.conf"), `\n# airlock test settings\n${lines.join("\n")}\n`);
  };

  const startServer = async (instance: PostgresInstance): Promise<void> => {
    const current = running.get(instance.name);
    if (current !== undefined && current.exitReason() === undefined) return;
    const [command, args] = asPostgres(owner, join(POSTGRES_BIN_DIR, "postgres"), ["-D", dataDir(instance)]);
    const child = service.add(startProcess({ name: `postgres ${instance.name}`, command, args, cwd: service.dir }));
    dataDirs.set(child, dataDir(instance));
    running.set(instance.name, child);
    await waitUntil(`postgres ${instance.name} accepting connections`, () => canQuery(instance), {
      timeoutMs,
      intervalMs: 100,
      abortWhen: () => (child.exitReason() === undefined ? undefined : `postgres ${child.exitReason()}`),
    });
  };

  const waitStreaming = (names: readonly string[]): Promise<void> =>
    waitUntil(`replicas ${names.join(", ")} streaming`, () => allStreaming(primary, names), {
      timeoutMs,
      intervalMs: 100,
    });

  await service.starting(async () => {
    const pwfile = join(service.dir, "pwfile");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    chownTree(pwfile, owner);
    await run("initdb", [
      "-D",
      dataDir(primary),
      "-U",
      "postgres",
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--no-sync",
      "--no-instructions",
      "-E",
      "UTF8",
      "--locale=C",
    ]);
    rmSync(pwfile);
    appendSettings(primary, {
      ...BASE_SETTINGS,
      ...options.settings,
      port: primary.port,
      unix_socket_directories: socketDir,
    });
    await startServer(primary);
    // Slots made up front reserve WAL at once: with `pg_basebackup -C`, one
    // backup's checkpoint can recycle a segment the other has not reserved yet.
    const slots = replicas.map((_, i) => `airlock_replica_${i}`);
    await querySql(primary, "SELECT pg_create_physical_replication_slot(slot, true) FROM unnest($1::text[]) AS slot", [
      slots,
    ]);
    await Promise.all(
      replicas.map(async (replica, i) => {
        await run("pg_basebackup", [
          ...["-D", dataDir(replica), "-h", socketDir, "-p", String(primary.port), "-U", "postgres"],
          ...["-X", "stream", "-R", "-S", slots[i] ?? "", "-c", "fast", "--no-sync"],
        ]);
        appendSettings(replica, { port: replica.port, cluster_name: replica.name });
        await startServer(replica);
      }),
    );
    await waitStreaming(replicas.map((replica) => replica.name));
  });

  const replicaAt = (i: number): PostgresInstance => {
    const replica = replicas[i];
    if (replica === undefined) throw new Error(`no replica ${i} (have ${replicas.length})`);
    return replica;
  };
  return {
    dir: service.dir,
    primary,
    replicas,
    socketDir,
    logs: () => service.logs(),
    stop: () => service.stop(),
    async stopReplica(i) {
      const child = running.get(replicaAt(i).name);
      if (child !== undefined) await stopServer(child, dataDirs.get(child));
    },
    async startReplica(i) {
      const replica = replicaAt(i);
      await startServer(replica);
      await waitStreaming([replica.name]);
    },
  };
}

/**
 * Fast shutdown: SIGINT to the postmaster itself (its pid is the first line
 * of `postmaster.pid`), not to `runuser`, which would answer any signal with
 * SIGTERM and, two seconds later, SIGKILL.
 */
async function stopServer(child: ManagedProcess, dataDir: string | undefined): Promise<void> {
  if (child.exitReason() !== undefined) return;
  const pid = dataDir === undefined ? Number.NaN : Number(readText(join(dataDir, "postmaster.pid")).split("\n", 1)[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // Already exiting.
    }
  }
  await child.stop({ signal: null, graceMs: 10_000 });
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Runs one statement on `instance` over a fresh connection and returns its rows. */
async function querySql<Row extends Record<string, unknown>>(
  instance: PostgresInstance,
  sql: string,
  params: readonly unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: instance.connectionString, connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.query<Row>(sql, [...params])).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

async function canQuery(instance: PostgresInstance): Promise<boolean> {
  await querySql(instance, "SELECT 1");
  return true;
}

async function allStreaming(primary: PostgresInstance, names: readonly string[]): Promise<boolean> {
  if (names.length === 0) return true;
  const rows = await querySql<{ application_name: string }>(
    primary,
    "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'",
  );
  const streaming = new Set(rows.map((row) => row.application_name));
  return names.every((name) => streaming.has(name));
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
  /** Whether commands must switch to the postgres user (this process is root). */
  readonly switchUser: boolean;
}

function postgresOwner(): Owner {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? 0, switchUser: false };
  const entry = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .find((fields) => fields[0] === "postgres");
  if (entry === undefined)
    throw new Error("no postgres user; install the postgresql package (scripts/install-test-deps.sh)");
  return { uid: Number(entry[2]), gid: Number(entry[3]), switchUser: true };
}

function chownTree(path: string, owner: Owner): void {
  if (owner.switchUser) chownSync(path, owner.uid, owner.gid);
}

function asPostgres(owner: Owner, command: string, args: readonly string[]): [string, string[]] {
  return owner.switchUser ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, [...args]];
}

function runAsPostgres(owner: Owner, command: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const [file, argv] = asPostgres(owner, command, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs, cwd: "/" }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`${command} failed (${error.message.split("\n", 1)[0]}):\n${stdout}${stderr}`));
    });
  });
}

function renderSetting(value: PostgresSetting): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}
