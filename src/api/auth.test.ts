import { describe, expect, it } from "vitest";
import { bearerToken, parseTokenFile, TokenSet } from "./auth.ts";

const ADMIN = "a".repeat(32);
const READ = "r".repeat(32);
const ACK = "k".repeat(32);

function tokens(): TokenSet {
  const built = TokenSet.build([
    { name: "admin", role: "admin", token: ADMIN },
    { name: "viewer", role: "read", token: READ },
    { name: "billing", role: "ack", token: ACK },
  ]);
  if (!built.ok) throw new Error(built.message);
  return built.value;
}

describe("TokenSet", () => {
  it("names the holder and role of a known token, and nobody for an unknown or truncated one", () => {
    const set = tokens();
    expect(set.authenticate(ADMIN)).toEqual({ name: "admin", role: "admin" });
    expect(set.authenticate(READ)).toEqual({ name: "viewer", role: "read" });
    expect(set.authenticate(ACK)).toEqual({ name: "billing", role: "ack", consumer: "billing" });
    expect(set.authenticate(ADMIN.slice(1))).toBeUndefined();
    expect(set.authenticate("")).toBeUndefined();
  });

  it("refuses short tokens, tokens with spaces, bad names and a token configured twice, without echoing tokens", () => {
    const cases = [
      [{ name: "admin", role: "admin", token: "short" }],
      [{ name: "admin", role: "admin", token: `${"x".repeat(20)} y` }],
      [{ name: "bad name", role: "read", token: READ }],
      [
        { name: "one", role: "read", token: READ },
        { name: "two", role: "admin", token: READ },
      ],
    ] as const;
    for (const entries of cases) {
      const built = TokenSet.build(entries);
      expect(built.ok).toBe(false);
      if (!built.ok) for (const entry of entries) expect(built.message).not.toContain(entry.token);
    }
  });
});

describe("parseTokenFile", () => {
  it("reads name:token lines, skipping blanks and comments, and names bare tokens", () => {
    const parsed = parseTokenFile(`# readers\n\nviewer:${READ}\n${ADMIN}\n`, "read", "reader", false);
    expect(parsed).toEqual({
      ok: true,
      value: [
        { name: "viewer", role: "read", token: READ },
        { name: "reader-2", role: "read", token: ADMIN },
      ],
    });
  });

  it("requires consumer names in ack files and reports the line, not the token", () => {
    const parsed = parseTokenFile(`billing:${ACK}\n${READ}\n`, "ack", "consumer", true);
    expect(parsed).toEqual({ ok: false, message: "line 2: expected name:token" });
  });
});

describe("bearerToken", () => {
  it("takes the token of a Bearer header only", () => {
    expect(bearerToken(`Bearer ${ADMIN}`)).toBe(ADMIN);
    expect(bearerToken(`bearer  ${ADMIN} `)).toBe(ADMIN);
    expect(bearerToken(`Basic ${ADMIN}`)).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
