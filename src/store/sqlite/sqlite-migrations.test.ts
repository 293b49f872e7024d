import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.ts";
import { openSqliteStore } from "./sqlite-store.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A database file left by a release that knew only the first `version` steps, with one operation in it. */
function databaseAtVersion(version: number): string {
  const dir = mkdtempSync(join(tmpdir(), "airlock-sqlite-migrate-"));
  dirs.push(dir);
  const path = join(dir, "airlock.db");
  const db = new Database(path);
  db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)");
  for (const step of SQLITE_MIGRATIONS.filter((m) => m.version <= version)) {
    db.exec(step.sql);
    db.prepare("INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, 0)").run(step.version);
  }
  db.prepare(
    `INSERT INTO operations (id, plan_name, domain, plan_hash, plan_source, plan_file, status, version, last_seq,
       state, created_at_ms, updated_at_ms) VALUES ('op-1', 'p', 'd', 'h', 'name: p # the pinned source', 'p.yaml',
       'running', 3, 7, '{"phase":{"kind":"sealing"}}', 1, 2)`,
  ).run();
  db.close();
  return path;
}

describe("sqlite schema migrations", () => {
  it("moves plan sources to their own table without losing an operation recorded before", async () => {
    const store = openSqliteStore(databaseAtVersion(1));
    try {
      await store.migrate();
      const record = await store.getOperation("op-1");
      expect(record).toMatchObject({
        id: "op-1",
        planSource: "name: p # the pinned source",
        status: "running",
        version: 3,
        state: { phase: { kind: "sealing" } },
      });
      expect((await store.listOperations({ planName: "p" })).map((r) => r.id)).toEqual(["op-1"]);
    } finally {
      await store.close();
    }
  });
});
