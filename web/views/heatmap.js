// The per-node heat map: one row per node, one cell per recent tick,
// coloured by the node's error rate; then its latest detector score (1 =
// the alarm threshold) and, after a supercriticality halt, the detector's
// evidence for each suspect.

import { h, percent } from "../dom.js";

const COLUMNS = 40;

/** Colour of an error rate: pale green at 0 to deep red at 25% and above (square-root scale). */
function shade(rate) {
  if (rate === null || rate === undefined) return "transparent";
  const t = Math.min(1, Math.sqrt(rate / 0.25));
  const hue = 120 - 120 * t;
  return `hsl(${hue} 70% ${88 - 48 * t}%)`;
}

function breachesOf(detail) {
  const evidence = detail.halt?.evidence;
  return Array.isArray(evidence?.breaches) ? evidence.breaches : [];
}

export function heatmap(detail, telemetry) {
  const breaches = breachesOf(detail);
  const suspects = new Set(breaches.map((b) => b.subject));
  const scores = telemetry?.scores?.values ?? {};
  const parts = [];
  for (const series of telemetry?.errorRates ?? []) {
    const start = Math.max(0, series.timesMs.length - COLUMNS);
    const nodes = [...series.nodes].sort(
      (a, b) => (b.cohort === "candidate") - (a.cohort === "candidate") || a.node.localeCompare(b.node),
    );
    parts.push(
      h(
        "table",
        { class: "heatmap", "aria-label": `Per-node error rates, guard ${series.guard}` },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Node"),
            h("th", { scope: "col" }, "Cohort"),
            h(
              "th",
              { scope: "col", class: "cells-head" },
              `Error rate, last ${Math.min(COLUMNS, series.timesMs.length)} ticks →`,
            ),
            h("th", { scope: "col" }, "Now"),
            h("th", { scope: "col" }, "Detector score"),
          ),
        ),
        h(
          "tbody",
          {},
          nodes.map((node) => {
            const values = node.values.slice(start);
            const latest = [...values].reverse().find((v) => v !== null) ?? null;
            const score = scores[node.node];
            const suspect = suspects.has(node.node) || suspects.has(`cohort:${node.cohort}`) || (score ?? 0) >= 1;
            const cells = h("div", { class: "cells" });
            for (const value of values) {
              const cell = h("span", { class: "cell", title: value === null ? "no traffic" : percent(value) });
              cell.style.background = shade(value);
              cells.append(cell);
            }
            const bar = h("span", { class: "score-bar" });
            bar.style.width = `${Math.min(100, (score ?? 0) * 100)}%`;
            return h(
              "tr",
              { class: suspect ? "suspect" : "", dataset: { node: node.node } },
              h("th", { scope: "row" }, suspect ? `⚠ ${node.node}` : node.node),
              h("td", {}, node.cohort ?? ""),
              h("td", {}, cells),
              h("td", { class: "num" }, percent(latest)),
              h(
                "td",
                { class: "score" },
                h("span", { class: "score-track" }, bar),
                h("span", { class: "num" }, score === undefined ? "–" : `${score.toFixed(2)}×`),
              ),
            );
          }),
        ),
      ),
    );
  }
  for (const [subject, score] of Object.entries(scores)) {
    if (!subject.startsWith("cohort:")) continue;
    const cohort = subject.slice("cohort:".length);
    parts.push(
      h(
        "p",
        { class: score >= 1 ? "cohort suspect" : "cohort" },
        `Cohort test (${cohort} nodes pooled vs the rest): score ${score.toFixed(2)}× its threshold`,
      ),
    );
  }
  if (parts.length === 0)
    parts.push(
      h("p", { class: "muted" }, "No per-node data (the plan has no supercriticality guard, or no live telemetry)."),
    );
  if (breaches.length > 0) parts.push(evidenceTable(breaches));
  return parts;
}

function evidenceTable(breaches) {
  return h(
    "table",
    { class: "evidence", "aria-label": "Detector evidence" },
    h("caption", {}, "Detector evidence for the halt"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Subject", "Test", "Errors / requests", "Rate", "Reference", "Ratio", "Score / threshold"].map((t) =>
          h("th", { scope: "col" }, t),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      breaches.map((b) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, b.subject),
          h("td", {}, b.test),
          h("td", { class: "num" }, `${b.errors} / ${b.requests}`),
          h("td", { class: "num" }, percent(b.rate)),
          h("td", { class: "num" }, percent(b.referenceRate, 2)),
          h("td", { class: "num" }, `${Number(b.observedRatio).toFixed(1)}×`),
          h("td", { class: "num" }, `${Number(b.score).toFixed(1)} > ${Number(b.threshold).toFixed(1)}`),
        ),
      ),
    ),
  );
}
