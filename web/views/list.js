// The operations list: every operation, newest first, with its status and
// what it waits for; freezes on top.

import { api } from "../api.js";
import { clock, h, replace } from "../dom.js";
import { needsToken } from "./notice.js";
import { poll } from "./poll.js";

export function listView(root, signal) {
  const freezes = h("div", { class: "freezes", "aria-live": "polite" });
  const body = h("tbody");
  const status = h("p", { class: "muted", role: "status" }, "loading…");
  root.append(
    h("h1", {}, "Operations"),
    freezes,
    status,
    h(
      "table",
      { class: "operations" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Operation", "Plan", "Domain", "Status", "Where / waiting for", "Updated"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      body,
    ),
  );
  poll(
    async () => {
      try {
        const data = await api("/api/v1/operations?limit=100", { signal });
        replace(status, data.operations.length === 0 ? "No operations yet." : "");
        replace(
          freezes,
          data.freezes.map((f) =>
            h(
              "p",
              { class: "freeze" },
              `Frozen: ${f.domain === "*" ? "every domain" : f.domain} — ${f.reason} (by ${f.setBy})`,
            ),
          ),
        );
        replace(
          body,
          data.operations.map((op) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `#/operations/${encodeURIComponent(op.id)}` }, op.id)),
              h("td", {}, op.plan),
              h("td", {}, op.domain),
              h("td", {}, h("span", { class: `badge status-${op.status}` }, op.status.replace("_", " "))),
              h("td", { class: "explanation" }, op.explanation),
              h("td", {}, clock(op.updatedAtMs)),
            ),
          ),
        );
      } catch (error) {
        if (!signal.aborted) replace(status, needsToken(error) ?? `Cannot load operations: ${error.message}`);
      }
    },
    3000,
    signal,
  );
}
