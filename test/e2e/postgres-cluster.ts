/**
 * The postgres e2e tests' view of `test/services`' `startPostgres`: a primary
 * and N streaming replicas on loopback with `log_statement = all`, replicas
 * named `replica-a`, `replica-b`, ... as the tests' plans name them.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinRegistries, type Registries } from "../../src/cli/wiring.ts";
import { postgresSensor } from "../../src/sensors/postgres/postgres-sensor.ts";
import type { SensorDefinition } from "../../src/sensors/sensor.ts";
import { postgresMigrationTarget } from "../../src/targets/postgres-migration/postgres-migration.ts";
import { secretRotationTarget } from "../../src/targets/secret-rotation/secret-rotation.ts";
import type { TargetDefinition } from "../../src/targets/target.ts";
import { requireService, startPostgres } from "../services/index.ts";

/** One running server. */
export interface PgNode {
  readonly name: string;
  readonly port: number;
  /** Superuser URL over TCP with the generated admin password. */
  readonly url: string;
}

/** A running cluster. */
export interface PgCluster {
  readonly primary: PgNode;
  readonly replicas: readonly PgNode[];
  /** The superuser's generated password, for env-referenced URLs. */
  readonly adminPassword: string;
  /** Stops a replica by name (fast shutdown). */
  stopNode(name: string): Promise<void>;
  /** Complete server logs of every node (the service's own capture keeps only a tail). */
  logs(): string;
  stop(): Promise<void>;
}

/** True when PostgreSQL is installed; otherwise a loud skip notice (a failure with `CI=true`). */
export function requirePostgres(tests: string): boolean {
  return requireService("postgres", tests);
}

/** Starts a primary and `replicas` standbys; resolves once all accept connections and stream. */
export async function startPgCluster(options: { readonly replicas: number }): Promise<PgCluster> {
  // Full logs in files of our own: a grep for secrets must see every line.
  const logDir = mkdtempSync(join(tmpdir(), "airlock-pglog-"));
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    chownSync(logDir, id("-u"), id("-g"));
  }
  const service = await startPostgres({
    replicas: options.replicas,
    settings: {
      log_statement: "all",
      max_connections: 40,
      logging_collector: true,
      log_directory: logDir,
      log_filename: "postgresql.log",
    },
  });
  const names = service.replicas.map((_, i) => `replica-${String.fromCharCode(97 + i)}`);
  const node = (name: string, instance: { port: number; connectionString: string }): PgNode => ({
    name,
    port: instance.port,
    url: instance.connectionString,
  });
  return {
    primary: node("primary", service.primary),
    replicas: service.replicas.map((instance, i) => node(names[i] ?? instance.name, instance)),
    adminPassword: service.primary.password,
    stopNode: (name) => service.stopReplica(names.indexOf(name)),
    logs: () =>
      [service.logs(), ...readdirSync(logDir).map((file) => readFileSync(join(logDir, file), "utf8"))].join("\n"),
    stop: async () => {
      await service.stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
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
      await cluster?.stop();
    },
  };
}

/** The built-in registries plus the postgres kinds (which `cli/wiring.ts` does not register yet). */
export function registriesWithPostgres(): Registries {
  const builtin = builtinRegistries();
  return {
    sensors: new Map([...builtin.sensors, ["postgres", postgresSensor as SensorDefinition]]),
    targets: new Map([
      ...builtin.targets,
      ["postgres-migration", postgresMigrationTarget as TargetDefinition],
      ["secret-rotation", secretRotationTarget as TargetDefinition],
    ]),
  };
}
