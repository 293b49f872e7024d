// What to tell the user when a read is refused.

import { h } from "../dom.js";

/** A hint when `error` means a token is needed, else undefined. */
export function needsToken(error) {
  if (error.status !== 401 && error.status !== 403) return undefined;
  return h(
    "span",
    { class: "warning" },
    "This server needs a token to read. Use ",
    h("strong", {}, "Set token"),
    " at the top right.",
  );
}
