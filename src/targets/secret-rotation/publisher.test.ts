import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalHttpServer } from "../../util/local-http-server.ts";
import { type Credential, publishCredential } from "./publisher.ts";
import { rotationConfigSchema } from "./rotation-config.ts";

const dir = mkdtempSync(join(tmpdir(), "airlock-publisher-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const password = "generated-Secret-1234567890";
const credential: Credential = {
  username: "app_green",
  password,
  host: "127.0.0.1",
  port: 5432,
  database: "shop",
  fingerprint: "sha256:0123456789ab",
};
const ctx = {
  planDir: dir,
  env: { PATH: process.env.PATH, HOOK_TOKEN: "hook-token-abcdef" },
  operationId: "op-1",
  idempotencyKey: "key-1",
  fencingToken: 7,
  signal: AbortSignal.timeout(10_000),
};
const publisher = (value: unknown) => rotationConfigSchema.shape.publisher.parse(value);

describe("publishCredential", () => {
  it("replaces a file atomically with mode 0600", async () => {
    const path = join(dir, "db.json");
    writeFileSync(path, "old", { mode: 0o644 });
    expect(await publishCredential(publisher({ kind: "file", path: "db.json" }), credential, ctx)).toEqual({
      ok: true,
      published: `file ${path}`,
    });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(credential);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("gives a command the secret on stdin only, never in argv or its environment", async () => {
    const script =
      "const fs=require('node:fs');const input=fs.readFileSync(0,'utf8');" +
      "fs.writeFileSync(process.argv[1]+'/stdin.txt',input);" +
      "fs.writeFileSync(process.argv[1]+'/seen.txt',JSON.stringify({argv:process.argv,env:process.env}))";
    const result = await publishCredential(
      publisher({ kind: "command", argv: ["node", "-e", script, dir] }),
      credential,
      ctx,
    );
    expect(result).toEqual({ ok: true, published: "command node" });
    expect(JSON.parse(readFileSync(join(dir, "stdin.txt"), "utf8"))).toEqual(credential);
    const seen = readFileSync(join(dir, "seen.txt"), "utf8");
    expect(seen).not.toContain(password);
    expect(JSON.parse(seen).env.AIRLOCK_FENCING_TOKEN).toBe("7");
  });

  it("reports a failing command without the secret, even when the command prints it", async () => {
    const script = "process.stderr.write(require('node:fs').readFileSync(0,'utf8'));process.exit(3)";
    const result = await publishCredential(
      publisher({ kind: "command", argv: ["node", "-e", script] }),
      credential,
      ctx,
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain("exited 3");
    expect(result.ok ? "" : result.message).not.toContain(password);
  });

  it("POSTs the credential to a webhook with env-referenced headers and fails on non-2xx", async () => {
    const received: { body: string; auth: string | undefined }[] = [];
    let status = 204;
    const server = await startLocalHttpServer((request, body, response) => {
      received.push({ body, auth: request.headers.authorization });
      response.writeHead(status).end();
    });
    try {
      const config = publisher({
        kind: "webhook",
        url: `${server.origin}/credentials`,
        headers: { authorization: `Bearer \${HOOK_TOKEN}` },
      });
      expect(await publishCredential(config, credential, ctx)).toMatchObject({ ok: true });
      expect(received[0]).toEqual({ body: `${JSON.stringify(credential)}\n`, auth: "Bearer hook-token-abcdef" });
      status = 500;
      const failed = await publishCredential(config, credential, ctx);
      expect(failed).toEqual({ ok: false, message: "publisher webhook answered HTTP 500" });
    } finally {
      await server.close();
    }
  });
});
