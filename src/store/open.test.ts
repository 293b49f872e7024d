import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, parseStoreUrl, redactUrl } from "./open.ts";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("openStore", () => {
  const dir = mkdtempSync(join(tmpdir(), "airlock-open-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("opens a migrated SQLite store at sqlite:PATH, creating its directory", async () => {
    const opened = await openStore(`sqlite:${join(dir, "a", "b", "airlock.db")}`);
    if (!opened.ok) expect.fail(opened.message);
    const created = await opened.value.createOperation({
      id: "op-1",
      planName: "p",
      domain: "d",
      planHash: "h",
      planSource: "",
      planFile: "",
      state: {},
    });
    expect(created.ok).toBe(true);
    await opened.value.close();
  });

  it("opens an in-memory store at memory:", async () => {
    const opened = await openStore("memory:");
    expect(opened.ok).toBe(true);
  });

  it("defaults sqlite: to ./.airlock/airlock.db and recognises both PostgreSQL schemes", () => {
    expect(parseStoreUrl("sqlite:")).toEqual({ ok: true, value: { kind: "sqlite", path: "./.airlock/airlock.db" } });
    expect(parseStoreUrl("postgresql://a@h/db")).toMatchObject({ ok: true, value: { kind: "postgres" } });
    expect(parseStoreUrl("postgres://a@h/db")).toMatchObject({ ok: true, value: { kind: "postgres" } });
  });

  it("refuses other URLs, naming the accepted forms without the password", async () => {
    const opened = await openStore("mysql://root:hunter2@db.internal/airlock");
    expect(opened).toMatchObject({ ok: false, code: "unsupported-url" });
    if (opened.ok) return;
    expect(opened.message).toContain("sqlite:PATH");
    expect(opened.message).not.toContain("hunter2");
  });

  it("reports an unreachable PostgreSQL server without its password", async () => {
    const port = await closedPort();
    const opened = await openStore(`postgres://airlock:s3cr%3Et-pw@127.0.0.1:${port}/airlock`);
    expect(opened).toMatchObject({ ok: false, code: "open-failed" });
    if (opened.ok) return;
    expect(opened.message).toContain(`127.0.0.1:${port}`);
    expect(opened.message).not.toMatch(/s3cr/);
  });
});

describe("redactUrl", () => {
  it("hides userinfo passwords and password parameters", () => {
    expect(redactUrl("postgres://u:p%40ss/w@h:5432/db")).toBe("postgres://u:***@h:5432/db");
    expect(redactUrl("postgresql://h/db?user=u&password=x1&sslmode=require")).toBe(
      "postgresql://h/db?user=u&password=***&sslmode=require",
    );
    expect(redactUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
  });
});
