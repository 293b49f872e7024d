// The event log, newest first: what happened, when, and who acted.

import { clock, h } from "../dom.js";

function summary(event) {
  const d = event.data ?? {};
  const parts = [];
  if (d.stage) parts.push(d.stage);
  if (d.message) parts.push(d.message);
  else if (d.why) parts.push(`rejected: ${d.why}`);
  else if (d.reason) parts.push(d.reason);
  if (d.actor) parts.push(`by ${d.actor}`);
  return parts.join(" — ");
}

export function eventRow(event) {
  return h(
    "li",
    { class: `event type-${event.type}`, dataset: { seq: event.seq, type: event.type } },
    h("span", { class: "seq" }, `#${event.seq}`),
    h("time", {}, clock(event.atMs)),
    h("span", { class: "type" }, event.type),
    h("span", { class: "what" }, summary(event)),
  );
}
