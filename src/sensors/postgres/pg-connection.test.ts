import { describe, expect, it } from "vitest";
import { classifyPgError, describeConnection, resolveConnection } from "./pg-connection.ts";

describe("describeConnection", () => {
  it("names host, port and database without credentials", () => {
    expect(describeConnection(`postgres://app:\${PGPASSWORD_APP}@db.internal:6432/shop`)).toBe("db.internal:6432/shop");
    expect(describeConnection("postgresql://app@db.internal")).toBe("db.internal:5432/app");
  });
});

describe("resolveConnection", () => {
  it("substitutes environment references URL-encoded and lists them as secrets", () => {
    const resolved = resolveConnection(`postgres://app:\${PW}@127.0.0.1:5432/shop`, { PW: "p@ss/word" });
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    expect(resolved.value.url).toBe("postgres://app:p%40ss%2Fword@127.0.0.1:5432/shop");
    expect(resolved.value.secrets).toContain("p@ss/word");
    expect(resolved.value.secrets).toContain("p%40ss%2Fword");
  });

  it("names an unset variable and never a value", () => {
    const resolved = resolveConnection(`postgres://app:\${PW}@h/db`, {});
    expect(resolved).toMatchObject({ ok: false, code: "config" });
    if (resolved.ok) return;
    expect(resolved.message).toContain("PW");
  });
});

describe("classifyPgError", () => {
  const endpoint = { label: "h:5432/db", secrets: ["hunter2secret"] };

  it("classifies by SQLSTATE and Node error code", () => {
    expect(classifyPgError(Object.assign(new Error("x"), { code: "55P03" }), endpoint).code).toBe("lock-timeout");
    expect(classifyPgError(Object.assign(new Error("x"), { code: "57014" }), endpoint).code).toBe("timeout");
    expect(classifyPgError(Object.assign(new Error("x"), { code: "28P01" }), endpoint).code).toBe("auth");
    expect(classifyPgError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }), endpoint).code).toBe("unreachable");
    expect(classifyPgError(Object.assign(new Error("x"), { code: "42P01" }), endpoint)).toMatchObject({
      code: "query",
      sqlState: "42P01",
    });
  });

  it("scrubs secrets from the message and names the endpoint", () => {
    const failure = classifyPgError(new Error("bad password hunter2secret"), endpoint);
    expect(failure.message).toBe("postgres h:5432/db: bad password ***");
  });
});
