/**
 * The benchmark's one PostgreSQL 15 (loopback, temporary directory) whose
 * `max_connections` is the scarce resource, an application role the sample
 * services connect as, a sampler of the application's connections
 * (`pg_stat_activity`), and the count of connections PostgreSQL refused
 * (its own log lines, so nothing is missed when a node is killed).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { type PostgresService, startPostgres } from "../../test/services/index.ts";
import type { Workload } from "./workload.ts";

/** The role the application connects as (not a superuser: the reserved slots are not its). */
const APP_ROLE = "app";

/** Messages PostgreSQL logs when it refuses a connection for lack of slots. */
const REFUSALS = [/too many clients already/g, /remaining connection slots are reserved/g];

/** A running database and its instruments. */
export interface CascadePostgres {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** The superuser's password, for the `postgres` sensor's environment reference. Never print it. */
  readonly superuserPassword: string;
  /** The application's connection string (holds a password: pass it through the environment only). */
  readonly appUrl: string;
  /** The application role's connections now. */
  appConnections(): Promise<number>;
  /** Ends every application connection left over (between runs) and waits until none is left. */
  resetConnections(): Promise<void>;
  /** Connections refused so far (a counter over the database's life). */
  refusedTotal(): number;
  stop(): Promise<void>;
}

/** Starts PostgreSQL with `workload.maxConnections` and the application role. */
export async function startCascadePostgres(workload: Workload): Promise<CascadePostgres> {
  const service: PostgresService = await startPostgres({
    settings: {
      max_connections: workload.maxConnections,
      superuser_reserved_connections: workload.superuserReserved,
      logging_collector: true,
      log_directory: "log",
      log_filename: "postgresql.log",
    },
  });
  const { primary } = service;
  const appPassword = randomBytes(18).toString("base64url");
  const admin = new pg.Client({ connectionString: primary.connectionString });
  admin.on("error", () => {});
  await admin.connect();
  await admin.query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${appPassword}'`);
  const logFile = join(service.dir, "primary", "log", "postgresql.log");
  const appConnections = async (): Promise<number> => {
    const result = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1",
      [APP_ROLE],
    );
    return result.rows[0]?.n ?? 0;
  };
  return {
    address: `127.0.0.1:${primary.port}`,
    superuserPassword: primary.password,
    appUrl: `postgres://${APP_ROLE}:${appPassword}@127.0.0.1:${primary.port}/postgres`,
    appConnections,
    async resetConnections() {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [APP_ROLE]);
        if ((await appConnections()) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error("application connections are still open after 10 s");
    },
    refusedTotal() {
      try {
        if (statSync(logFile).size === 0) return 0;
        const text = readFileSync(logFile, "utf8");
        return REFUSALS.reduce((sum, pattern) => sum + (text.match(pattern)?.length ?? 0), 0);
      } catch {
        return 0;
      }
    },
    async stop() {
      await admin.end().catch(() => {});
      await service.stop();
    },
  };
}
