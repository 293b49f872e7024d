import { describe, expect, it } from "vitest";
import { upstreamRequestHeaders, withoutHopByHop } from "./forwarded-headers.ts";

describe("forwarded headers", () => {
  it("drops hop-by-hop headers and the ones Connection names, keeps the rest", () => {
    const headers = withoutHopByHop({
      connection: "keep-alive, x-session-hint",
      "keep-alive": "timeout=5",
      "transfer-encoding": "chunked",
      upgrade: "websocket",
      "x-session-hint": "abc",
      "content-type": "text/plain",
      "set-cookie": ["a=1", "b=2"],
    });
    expect(headers).toEqual({ "content-type": "text/plain", "set-cookie": ["a=1", "b=2"] });
  });

  it("appends the client to X-Forwarded-For and frames a body of unknown length as chunked", () => {
    const headers = upstreamRequestHeaders(
      { host: "app", "x-forwarded-for": "10.0.0.1", "transfer-encoding": "chunked" },
      "127.0.0.1",
    );
    expect(headers).toEqual({
      host: "app",
      "x-forwarded-for": "10.0.0.1, 127.0.0.1",
      "x-forwarded-proto": "http",
      "transfer-encoding": "chunked",
    });
  });

  it("keeps a known content length and adds no framing to a bodyless request", () => {
    expect(upstreamRequestHeaders({ "content-length": "3" }, undefined)).toEqual({
      "content-length": "3",
      "x-forwarded-proto": "http",
    });
    expect(upstreamRequestHeaders({}, undefined)).toEqual({ "x-forwarded-proto": "http" });
  });
});
