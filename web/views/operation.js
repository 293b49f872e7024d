// One operation, live: its doors, gate explanations, drain and error-rate
// charts, the per-node heat map with the detector's evidence, the controls
// and the event log. Events arrive over the SSE stream; the detail and the
// telemetry are also re-read periodically.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { followEvents } from "../sse.js";
import { Chart } from "./charts.js";
import { controls } from "./controls.js";
import { eventRow } from "./events.js";
import { gates } from "./gates.js";
import { heatmap } from "./heatmap.js";
import { needsToken } from "./notice.js";
import { poll } from "./poll.js";
import { timeline } from "./timeline.js";

const MAX_EVENTS = 200;

export function operationView(root, id, signal) {
  const title = h("h1", {}, id);
  const badge = h("span", { class: "badge" });
  const explanation = h("p", { class: "explanation", id: "explanation", "aria-live": "polite" });
  const halt = h("div", { class: "halt", id: "halt", "aria-live": "assertive" });
  const doors = h("section", { class: "timeline", "aria-label": "Stage timeline" });
  const gateBox = h("section", { class: "panel-box" }, h("h2", {}, "Gates"), h("div"));
  const drainChart = new Chart("Gate sensors (drain)", "value", (v) =>
    Math.abs(v) >= 100 ? v.toFixed(0) : `${+v.toFixed(3)}`,
  );
  const errorChart = new Chart("Per-node error rate", "errors", (v) => `${(v * 100).toFixed(1)}%`);
  const heat = h(
    "section",
    { class: "panel-box" },
    h("h2", {}, "Nodes and detector evidence"),
    h("div", { id: "heatmap" }),
  );
  const streamState = h("span", { class: "muted small", id: "stream-state" }, "connecting…");
  const log = h("ol", { class: "events", "aria-label": "Events, newest first" });
  const notice = h("p", { role: "status" });
  let detail;
  let telemetry;
  const refresh = async () => {
    try {
      detail = await api(`/api/v1/operations/${encodeURIComponent(id)}`, { signal });
      replace(notice);
      render();
    } catch (error) {
      if (!signal.aborted) replace(notice, needsToken(error) ?? `Cannot load ${id}: ${error.message}`);
    }
  };
  const bar = controls(id, () => refresh());

  root.append(
    h("p", {}, h("a", { href: "#/" }, "← Operations")),
    h("div", { class: "title-row" }, title, badge),
    notice,
    explanation,
    halt,
    bar.el,
    doors,
    h(
      "div",
      { class: "grid" },
      gateBox,
      h("section", { class: "panel-box charts" }, h("h2", {}, "Live values"), drainChart.el, errorChart.el),
    ),
    heat,
    h("section", { class: "panel-box" }, h("h2", {}, "Events ", streamState), log),
  );

  function render() {
    if (detail === undefined) return;
    title.textContent = `${detail.plan} · ${detail.id}`;
    badge.className = `badge status-${detail.status}`;
    badge.textContent = detail.status.replace("_", " ");
    explanation.textContent = detail.explanation;
    replace(
      halt,
      detail.halt === undefined
        ? null
        : h("div", { class: "halt-box" }, h("strong", {}, `Halted (${detail.halt.code}): `), detail.halt.message),
    );
    bar.update(detail);
    replace(doors, timeline(detail));
    replace(gateBox.lastChild, gates(detail));
    replace(heat.lastChild, heatmap(detail, telemetry));
  }

  function renderTelemetry() {
    if (telemetry === undefined) return;
    const drain = telemetry.gateSensors;
    drainChart.update(
      drain.timesMs,
      drain.series.map((s) => ({ label: s.label, values: s.values })),
    );
    const rates = telemetry.errorRates[0];
    errorChart.update(
      rates?.timesMs ?? [],
      (rates?.nodes ?? []).map((n) => ({ label: n.node, values: n.values })),
    );
    if (detail !== undefined) replace(heat.lastChild, heatmap(detail, telemetry));
  }

  let pending = false;
  const soon = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      refresh();
    }, 150);
  };

  poll(refresh, 2000, signal);
  poll(
    async () => {
      try {
        telemetry = await api(`/api/v1/operations/${encodeURIComponent(id)}/telemetry`, { signal });
        renderTelemetry();
      } catch {
        // The detail view reports access problems; telemetry is best effort.
      }
    },
    2000,
    signal,
  );
  followEvents(id, {
    signal,
    onStatus: (text) => {
      streamState.textContent = text === "live" ? "● live" : text;
    },
    onEvent: (event) => {
      log.prepend(eventRow(event));
      while (log.childElementCount > MAX_EVENTS) log.lastChild.remove();
      soon();
    },
  });
}
