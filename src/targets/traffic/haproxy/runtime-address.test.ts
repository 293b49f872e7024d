import { describe, expect, it } from "vitest";
import { formatRuntimeAddress, parseRuntimeAddress } from "./runtime-address.ts";

describe("parseRuntimeAddress", () => {
  it("reads unix socket paths, with or without the unix: prefix", () => {
    expect(parseRuntimeAddress("/run/haproxy/admin.sock")).toEqual({ kind: "unix", path: "/run/haproxy/admin.sock" });
    expect(parseRuntimeAddress("unix:/run/h.sock")).toEqual({ kind: "unix", path: "/run/h.sock" });
  });

  it("reads TCP addresses, with or without the tcp: prefix, IPv6 in brackets", () => {
    expect(parseRuntimeAddress("tcp:127.0.0.1:9999")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 9999 });
    expect(parseRuntimeAddress("localhost:9999")).toEqual({ kind: "tcp", host: "localhost", port: 9999 });
    expect(parseRuntimeAddress("[::1]:9999")).toEqual({ kind: "tcp", host: "::1", port: 9999 });
  });

  it("rejects relative paths, missing or out-of-range ports", () => {
    expect(
      ["unix:run/h.sock", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "", "a b:1"].map(parseRuntimeAddress),
    ).toEqual(Array(6).fill(undefined));
  });

  it("formats addresses back for messages", () => {
    expect(formatRuntimeAddress({ kind: "tcp", host: "::1", port: 1 })).toBe("[::1]:1");
    expect(formatRuntimeAddress({ kind: "unix", path: "/a.sock" })).toBe("/a.sock");
  });
});
