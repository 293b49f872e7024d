import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPlanSource } from "../../src/cli/load-plan.ts";
import { buildRuntime } from "../../src/cli/wiring.ts";
import { realClock } from "../../src/engine/clock.ts";
import { engine } from "../../src/engine/engine.ts";
import { Runner, toJson } from "../../src/engine/runner.ts";
import type { Reading } from "../../src/sensors/sensor.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { rotationConfigSchema } from "../../src/targets/secret-rotation/rotation-config.ts";
import { createRotationTarget, planRotationRollback } from "../../src/targets/secret-rotation/secret-rotation.ts";
import { describeTargetContract } from "../../src/targets/target.contract.ts";
import type { ActionRequest, Target, TargetResult } from "../../src/targets/target.ts";
import { scramVerifier } from "../../src/util/scram.ts";
import { type PgCluster, registriesWithPostgres, requirePostgres, sharedPgCluster } from "./postgres-cluster.ts";

const ready = requirePostgres("secret-rotation target on real PostgreSQL");
const shared = sharedPgCluster({ replicas: 0 });
const dir = mkdtempSync(join(tmpdir(), "airlock-rotation-"));
afterAll(async () => {
  await shared.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function adminQuery(cluster: PgCluster, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: cluster.primary.url });
  await admin.connect();
  await admin.query(sql);
  await admin.end();
}

function configFor(cluster: PgCluster, roles: [string, string], extra: Record<string, unknown> = {}) {
  return rotationConfigSchema.parse({
    connection: `postgres://postgres:\${PGPASSWORD_ADMIN}@127.0.0.1:${cluster.primary.port}/postgres`,
    roles,
    consumers: [
      { name: "billing", applicationName: "billing" },
      { name: "orders", applicationName: "orders" },
      { name: "reports", applicationName: "reports" },
    ],
    publisher: { kind: "file", path: join(dir, `${roles[0]}.json`) },
    stableSamples: 3,
    ...extra,
  });
}

if (ready) {
  describeTargetContract("secret-rotation", async () => {
    const cluster = await shared.get();
    const env = { PGPASSWORD_ADMIN: cluster.adminPassword, PATH: process.env.PATH };
    let pairs = 0;
    const fresh = async (extra: Record<string, unknown> = {}) => {
      pairs += 1;
      const roles: [string, string] = [`contract${pairs}_blue`, `contract${pairs}_green`];
      await adminQuery(cluster, `CREATE ROLE ${roles[0]} NOLOGIN; CREATE ROLE ${roles[1]} NOLOGIN`);
      return createRotationTarget(
        configFor(cluster, roles, { stateTable: `contract_state_${pairs}`, ...extra }),
        dir,
        env,
      );
    };
    const config = configFor(cluster, ["contract_blue", "contract_green"]);
    return {
      create: () => fresh(),
      actions: [
        { type: "rotate", params: {} },
        { type: "revoke", params: {} },
      ],
      planRollback: (applied) => planRotationRollback(applied, config),
      checksFencingTokens: true,
      observesApplies: true,
      failures: [
        {
          name: "database unreachable",
          retryable: true,
          code: "unreachable",
          create: () => fresh({ connection: `postgres://postgres:\${PGPASSWORD_ADMIN}@127.0.0.1:1/postgres` }),
        },
        {
          name: "nothing to revoke",
          retryable: false,
          code: "nothing-to-revoke",
          create: () => fresh(),
          action: { type: "revoke", params: {} },
        },
        {
          name: "publisher fails",
          retryable: true,
          code: "publish-failed",
          create: () => fresh({ publisher: { kind: "command", argv: ["node", "-e", "process.exit(1)"] } }),
        },
      ],
      secrets: [cluster.adminPassword],
    };
  });
}

/** Whether `user` can open a session with `password`. */
async function canLogInAs(cluster: PgCluster, user: string, password: string): Promise<boolean> {
  const client = new pg.Client({ host: "127.0.0.1", port: cluster.primary.port, database: "postgres", user, password });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A consumer process holding a pooled connection with the credential in `file`; `reconnect` re-reads it. */
class Consumer {
  readonly output: string[] = [];
  readonly #child: ChildProcessWithoutNullStreams;

  constructor(file: string, applicationName: string) {
    const script = `
      import pg from "pg";
      import { readFileSync } from "node:fs";
      import { createInterface } from "node:readline";
      const [file, applicationName] = process.argv.slice(1);
      let pool;
      async function connect() {
        const c = JSON.parse(readFileSync(file, "utf8"));
        const next = new pg.Pool({ host: c.host, port: c.port, database: c.database, user: c.username,
          password: c.password, application_name: applicationName, max: 2, idleTimeoutMillis: 0 });
        next.on("error", () => {});
        await next.query("SELECT 1");
        const old = pool;
        pool = next;
        await old?.end();
        return c.fingerprint ?? "initial";
      }
      process.stdout.write("ready " + (await connect()) + "\\n");
      setInterval(() => pool.query("SELECT 1").catch((e) => process.stderr.write("query failed " + e.code + "\\n")), 100);
      createInterface({ input: process.stdin }).on("line", () => {
        connect().then((fp) => process.stdout.write("reconnected " + fp + "\\n"),
          (e) => process.stdout.write("reconnect-failed " + e.code + "\\n"));
      });`;
    this.#child = spawn(process.execPath, ["--input-type=module", "-e", script, file, applicationName], {
      cwd: resolve(import.meta.dirname, "../.."),
    });
    this.#child.stdout.on("data", (chunk: Buffer) => this.output.push(chunk.toString()));
    this.#child.stderr.on("data", (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  /** Resolves with the first output line starting with `prefix` (after `from` lines). */
  async waitFor(prefix: string): Promise<string> {
    for (let i = 0; i < 200; i += 1) {
      const line = this.output
        .join("")
        .split("\n")
        .find((l) => l.startsWith(prefix));
      if (line !== undefined) return line;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`consumer never printed ${prefix}: ${this.output.join("")}`);
  }

  async reconnect(): Promise<string> {
    this.#child.stdin.write("reconnect\n");
    return this.waitFor("reconnected");
  }

  stop(): void {
    this.#child.kill("SIGKILL");
  }
}

describe.skipIf(!ready)("secret rotation with three consumer processes on real PostgreSQL", () => {
  let cluster: PgCluster;
  let target: Target;
  const consumers: Record<string, Consumer> = {};
  const seen: unknown[] = [];
  const bluePassword = "blue-initial-password-0001";
  const credentialFile = join(dir, "app_blue.json");
  let generated = "";

  beforeAll(async () => {
    cluster = await shared.get();
    await adminQuery(
      cluster,
      `CREATE ROLE app_blue LOGIN PASSWORD '${scramVerifier(bluePassword)}'; CREATE ROLE app_green NOLOGIN`,
    );
    const blue = {
      username: "app_blue",
      password: bluePassword,
      host: "127.0.0.1",
      port: cluster.primary.port,
      database: "postgres",
    };
    writeFileSync(credentialFile, JSON.stringify(blue), { mode: 0o600 });
    target = createRotationTarget(configFor(cluster, ["app_blue", "app_green"]), dir, {
      PGPASSWORD_ADMIN: cluster.adminPassword,
    });
    for (const name of ["billing", "orders", "reports"]) consumers[name] = new Consumer(credentialFile, name);
    await Promise.all(Object.values(consumers).map((consumer) => consumer.waitFor("ready")));
  });

  afterAll(async () => {
    for (const consumer of Object.values(consumers)) consumer.stop();
    await target?.close?.();
  });

  let keys = 0;
  const request = (type: string, rollback = false): ActionRequest => ({
    operationId: "op-rotate",
    stageName: type,
    stageIndex: 0,
    action: { type, params: {} },
    idempotencyKey: `${type}-${++keys}`,
    fencingToken: 1,
    rollback,
    signal: AbortSignal.timeout(30_000),
  });
  const apply = async (req: ActionRequest): Promise<TargetResult<unknown>> => {
    const result = await target.apply(req);
    seen.push(result);
    return result;
  };
  const read = async (name: string): Promise<Reading> => {
    const reading = await target.sensors()[name]?.read({ nowMs: Date.now(), signal: AbortSignal.timeout(5_000) });
    seen.push(reading);
    if (reading === undefined) throw new Error(`no sensor ${name}`);
    return reading;
  };
  const canLogIn = (user: string, password: string) => canLogInAs(cluster, user, password);

  it("fails closed before any rotation: both sensors report `empty`", async () => {
    expect(await read("consumers_on_new_role")).toMatchObject({ ok: false, code: "empty" });
    expect(await read("old_role_sessions")).toMatchObject({ ok: false, code: "empty" });
  });

  it("rotates the idle role, checks the login and publishes a 0600 file; only a fingerprint leaves", async () => {
    const result = await apply(request("rotate"));
    expect(result).toMatchObject({ ok: true, value: { state: { activeRole: "app_green", previousRole: "app_blue" } } });
    const credential = JSON.parse(readFileSync(credentialFile, "utf8")) as {
      username: string;
      password: string;
      fingerprint: string;
    };
    generated = credential.password;
    expect(credential.username).toBe("app_green");
    expect(statSync(credentialFile).mode & 0o777).toBe(0o600);
    expect(result.ok && JSON.stringify(result.value)).toContain(credential.fingerprint);
    expect(await canLogIn("app_green", generated)).toBe(true);
    expect(await read("consumers_on_new_role")).toMatchObject({
      ok: true,
      value: { values: { billing: 0, orders: 0, reports: 0 } },
    });
    expect(await read("old_role_sessions")).toMatchObject({ ok: true, value: { value: 3 } });
  });

  it("keeps the old role while one consumer holds its old connection, naming that consumer", async () => {
    await consumers.billing?.reconnect();
    await consumers.orders?.reconnect();
    expect(await read("consumers_on_new_role")).toMatchObject({
      ok: true,
      value: { values: { billing: 1, orders: 1, reports: 0 } },
      detail: "not yet on app_green: reports",
    });
    const old = await read("old_role_sessions");
    expect(old).toMatchObject({ ok: true, detail: expect.stringContaining("still on app_blue: reports") });
    expect(old.ok && old.value.type === "scalar" && old.value.value).toBeGreaterThan(0);
    const refused = await apply(request("revoke"));
    expect(refused).toMatchObject({ ok: false, code: "old-role-in-use", retryable: true });
    expect(refused.ok ? "" : refused.message).toContain("reports");
    expect(await canLogIn("app_blue", bluePassword)).toBe(true);
  });

  it("sees adoption hold for N samples once the last consumer reconnects, then revokes the old role", async () => {
    await consumers.reports?.reconnect();
    for (let sample = 0; sample < 3; sample += 1) {
      expect(await read("old_role_sessions")).toMatchObject({ ok: true, value: { value: 0 } });
      expect(await read("consumers_on_new_role")).toMatchObject({
        value: { values: { billing: 1, orders: 1, reports: 1 } },
      });
    }
    const revoke = request("revoke");
    expect(await apply(revoke)).toMatchObject({ ok: true, value: { state: { revoked: true } } });
    expect(await target.observe(revoke, AbortSignal.timeout(5_000))).toMatchObject({
      ok: true,
      value: { matches: true },
    });
    expect(await canLogIn("app_blue", bluePassword)).toBe(false);
    expect(await canLogIn("app_green", generated)).toBe(true);
  });

  it("undoes a NOLOGIN revoke on rollback, and revokes again", async () => {
    expect(await apply(request("revoke", true))).toMatchObject({ ok: true });
    expect(await canLogIn("app_blue", bluePassword)).toBe(true);
    expect(await apply(request("revoke"))).toMatchObject({ ok: true });
    expect(await canLogIn("app_blue", bluePassword)).toBe(false);
  });

  it("never lets the generated password reach the server log, results, readings or consumer output", () => {
    expect(generated.length).toBeGreaterThan(20);
    const serverLog = cluster.logs();
    // log_statement = all was in effect: the ALTER ROLE is logged, with a verifier only.
    expect(serverLog).toMatch(/ALTER ROLE "app_green" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(serverLog).not.toContain(generated);
    expect(JSON.stringify(seen)).not.toContain(generated);
    expect(JSON.stringify(seen)).not.toContain(cluster.adminPassword);
    for (const consumer of Object.values(consumers)) expect(consumer.output.join("")).not.toContain(generated);
  });
});

describe.skipIf(!ready)("secret-rotation example run by the engine with three consumers", () => {
  let cluster: PgCluster;
  const consumers: Record<string, Consumer> = {};
  const blueFile = join(dir, "run.json");
  const bluePassword = "run-blue-initial-password-0002";
  const planFile = resolve(import.meta.dirname, "../../examples/secret-rotation.yaml");

  beforeAll(async () => {
    cluster = await shared.get();
    await adminQuery(
      cluster,
      `CREATE ROLE airlock_admin LOGIN CREATEROLE PASSWORD '${scramVerifier(cluster.adminPassword)}';
       GRANT pg_monitor TO airlock_admin;
       CREATE ROLE run_blue LOGIN PASSWORD '${scramVerifier(bluePassword)}'; CREATE ROLE run_green NOLOGIN`,
    );
    await adminQuery(cluster, "CREATE DATABASE shop OWNER airlock_admin");
    const blue = {
      username: "run_blue",
      password: bluePassword,
      host: "127.0.0.1",
      port: cluster.primary.port,
      database: "shop",
    };
    writeFileSync(blueFile, JSON.stringify(blue), { mode: 0o600 });
    for (const app of ["billing", "orders-api", "reports"]) consumers[app] = new Consumer(blueFile, app);
    await Promise.all(Object.values(consumers).map((consumer) => consumer.waitFor("ready")));
    process.env.PGPASSWORD_ADMIN = cluster.adminPassword;
  });

  afterAll(() => {
    for (const consumer of Object.values(consumers)) consumer.stop();
  });

  it("halts after the drain timeout naming the consumer still on the old role, then completes once it moves and the operation resumes", async () => {
    const source = readFileSync(planFile, "utf8")
      .replace("127.0.0.1:5432/shop", `127.0.0.1:${cluster.primary.port}/shop`)
      .replace("[app_blue, app_green]", "[run_blue, run_green]")
      .replace("/run/secrets/shop-db.json", blueFile)
      .replace("interval: 2s", "interval: 200ms")
      .replace("drain: 30m", "drain: 3s");
    const loaded = loadPlanSource(source, planFile, registriesWithPostgres());
    if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
    const { plan } = loaded.loaded;
    const store = new MemoryStore();
    const id = "op-rotation";
    await store.createOperation({
      id,
      planName: plan.name,
      domain: plan.domain,
      planHash: loaded.loaded.hash,
      planSource: source,
      planFile,
      state: toJson(engine.initialState(id, plan)),
    });
    const runtime = buildRuntime(plan, planFile, registriesWithPostgres());
    const run = () =>
      new Runner({
        store,
        engine,
        plan,
        operationId: id,
        target: runtime.target,
        targetDefinition: runtime.targetDefinition,
        sensors: runtime.sensors,
        clock: realClock,
        holder: "test",
      }).run(AbortSignal.timeout(60_000), true);
    const ack = async (consumer: string) => {
      await store.recordAck({ operationId: id, stage: "rotate", consumer, actor: consumer, atMs: await store.nowMs() });
      await store.enqueueCommand({
        operationId: id,
        type: "ack",
        actor: consumer,
        reason: "",
        data: { consumer, stage: "rotate" },
      });
    };
    try {
      const first = run();
      for (let i = 0; i < 200 && !readFileSync(blueFile, "utf8").includes("run_green"); i += 1) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const generated = (JSON.parse(readFileSync(blueFile, "utf8")) as { password: string }).password;
      await consumers.billing?.reconnect();
      await consumers["orders-api"]?.reconnect();
      // All three ack, but reports keeps its pooled connection on run_blue.
      for (const consumer of ["billing", "orders", "reports"]) await ack(consumer);

      expect(await first).toEqual({ kind: "halted" });
      const halted = (await store.getOperation(id))?.state as { phase: { kind: string; reason?: { message: string } } };
      console.info(`halted: ${halted.phase.reason?.message}`);
      expect(halted.phase.kind).toBe("halted");
      expect(halted.phase.reason?.message).toContain("reports");
      expect(await canLogInAs(cluster, "run_blue", bluePassword)).toBe(true);

      await consumers.reports?.reconnect();
      await store.enqueueCommand({
        operationId: id,
        type: "resume",
        actor: "test",
        reason: "reports moved",
        data: null,
      });
      expect(await run()).toEqual({ kind: "terminal", status: "completed" });
      expect(await canLogInAs(cluster, "run_blue", bluePassword)).toBe(false);
      expect(await canLogInAs(cluster, "run_green", generated)).toBe(true);

      const events = JSON.stringify(await store.listEvents(id, 0, 100_000));
      expect(events).not.toContain(generated);
      expect(cluster.logs()).not.toContain(generated);
    } finally {
      await runtime.close();
    }
  });
});
