// Gate explanations: every condition of the current stage with its live
// value, what it must be, and since when it has had that outcome.

import { duration, h } from "../dom.js";

export function gates(detail) {
  if (detail.gateChecks.length === 0) {
    return h("p", { class: "muted" }, detail.phase === "sealing" ? "Evaluating gates…" : "No stage is sealing now.");
  }
  return h(
    "table",
    { class: "gates" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["", "Gate", "Condition", "Observed", "Wants", "For"].map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      detail.gateChecks.map((check) =>
        h(
          "tr",
          { class: check.ok ? "ok" : "waiting" },
          h("td", { "aria-label": check.ok ? "holds" : "waiting" }, check.ok ? "✔" : "○"),
          h("td", {}, check.gate),
          h("td", {}, check.label),
          h("td", { class: "num" }, check.observed),
          h("td", { class: "num" }, check.expected),
          h("td", { class: "num" }, duration(Date.now() - check.sinceMs)),
        ),
      ),
    ),
  );
}
