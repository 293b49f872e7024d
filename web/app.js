// The dashboard's entry: a hash router (#/ and #/operations/<id>), the
// token button, and one live view at a time (each view stops its polling
// and streams when the route changes).

import { onTokenChange, setToken, token } from "./api.js";
import { askToken } from "./dialogs.js";
import { listView } from "./views/list.js";
import { operationView } from "./views/operation.js";

const main = document.getElementById("main");
const tokenButton = document.getElementById("token-button");
const tokenState = document.getElementById("token-state");
let current = new AbortController();

function showTokenState() {
  tokenState.textContent = token() === "" ? "no token" : "token set (this tab)";
  tokenButton.textContent = token() === "" ? "Set token" : "Forget token";
}

// Signing in or out from the header reloads the view (reads may now work);
// a token given to a command button takes effect without losing the view.
tokenButton.addEventListener("click", async () => {
  if (token() !== "") setToken("");
  else {
    const value = await askToken("Reads may need a read token; halt, resume and rollback need the admin token.");
    if (value === null) return;
    setToken(value);
  }
  route();
});

onTokenChange(showTokenState);

function route() {
  current.abort();
  current = new AbortController();
  const match = /^#\/operations\/(.+)$/.exec(location.hash);
  main.replaceChildren();
  if (match === null) listView(main, current.signal);
  else operationView(main, decodeURIComponent(match[1]), current.signal);
}

window.addEventListener("hashchange", () => {
  route();
  main.focus();
});
showTokenState();
route();
