import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { scramVerifier } from "./scram.ts";

// The SCRAM-SHA-256 exchange of RFC 7677 §3 (user "user", password "pencil").
const clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const clientFinalWithoutProof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
const clientProof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
const serverSignature = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

function parse(verifier: string): { iterations: number; salt: string; storedKey: Buffer; serverKey: Buffer } {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (match === null) throw new Error(`not a verifier: ${verifier}`);
  const [, iterations = "", salt = "", storedKey = "", serverKey = ""] = match;
  return {
    iterations: Number(iterations),
    salt,
    storedKey: Buffer.from(storedKey, "base64"),
    serverKey: Buffer.from(serverKey, "base64"),
  };
}

describe("scramVerifier", () => {
  const verifier = scramVerifier("pencil", { salt: Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64") });

  it("uses PostgreSQL's verifier format with 4096 iterations", () => {
    const parsed = parse(verifier);
    expect(parsed.iterations).toBe(4096);
    expect(parsed.salt).toBe("W22ZaJ0SNY7soEsUEjb6gQ==");
  });

  it("produces the ServerKey that signs RFC 7677's exchange", () => {
    const { serverKey } = parse(verifier);
    expect(createHmac("sha256", serverKey).update(authMessage).digest("base64")).toBe(serverSignature);
  });

  it("produces the StoredKey that accepts RFC 7677's client proof", () => {
    const { storedKey } = parse(verifier);
    const clientSignature = createHmac("sha256", storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(clientProof.map((byte, i) => byte ^ (clientSignature[i] ?? 0)));
    expect(createHash("sha256").update(clientKey).digest().equals(storedKey)).toBe(true);
  });

  it("salts every verifier freshly and never contains the password", () => {
    const a = scramVerifier("correct horse");
    const b = scramVerifier("correct horse");
    expect(a).not.toBe(b);
    expect(a).not.toContain("correct horse");
  });

  it("rejects passwords outside printable ASCII", () => {
    expect(() => scramVerifier("")).toThrow();
    expect(() => scramVerifier("pässword")).toThrow();
  });
});
