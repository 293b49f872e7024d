// Server-Sent Events over fetch, so the Authorization header is sent (the
// browser's EventSource cannot send headers, and a token must never go in a
// URL). Reconnects with Last-Event-ID after a dropped connection.

import { authHeaders } from "./api.js";

/** Parses SSE text blocks; calls onEvent({ id, event, data }) per complete event. */
export function sseParser(onEvent) {
  let buffer = "";
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, "\n");
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end < 0) return;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { id: undefined, event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") event.id = value;
        else if (field === "event") event.event = value;
        else if (field === "data") event.data += event.data === "" ? value : `\n${value}`;
      }
      if (event.data !== "") onEvent(event);
    }
  };
}

/**
 * Follows an operation's event stream until `signal` aborts. `onEvent`
 * gets each stored event; `onStatus` gets "live", "reconnecting" or an error text.
 */
export async function followEvents(operationId, { onEvent, onStatus, signal }) {
  let lastId = "";
  let delayMs = 500;
  while (!signal.aborted) {
    try {
      const headers = authHeaders(lastId === "" ? {} : { "Last-Event-ID": lastId });
      const response = await fetch(`/api/v1/operations/${encodeURIComponent(operationId)}/stream`, {
        headers,
        signal,
        cache: "no-store",
      });
      if (!response.ok || response.body === null) {
        onStatus(response.status === 401 || response.status === 403 ? "needs a token" : `error ${response.status}`);
        if (response.status === 401 || response.status === 403 || response.status === 404) return;
      } else {
        onStatus("live");
        delayMs = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const feed = sseParser((event) => {
          if (event.id !== undefined) lastId = event.id;
          onEvent(JSON.parse(event.data));
        });
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          feed(value);
        }
      }
    } catch {
      if (signal.aborted) return;
      onStatus("reconnecting");
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 10_000);
  }
}
