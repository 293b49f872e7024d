/**
 * The dashboard's static files: everything under `web/` at its path, `/`
 * as `index.html`, and uPlot's ES module and CSS under `/vendor/uplot/`.
 * The file table is built once at start-up, so a request can only ever name
 * a file in that table (no path is joined from user input). Answers carry a
 * strict Content-Security-Policy: scripts, styles and connections to this
 * origin only.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
} as const;

/** The default dashboard directory: `web/` at the repository root. */
export function defaultWebRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web");
}

/** Served files by URL path. */
export class StaticFiles {
  readonly #files = new Map<string, { readonly body: Buffer; readonly type: string }>();

  /** Loads `webRoot` (recursively) and uPlot's dist files into memory. Missing `webRoot`: serves nothing. */
  constructor(webRoot: string = defaultWebRoot()) {
    for (const file of listFiles(webRoot)) {
      const type = TYPES[extname(file)];
      if (type === undefined) continue;
      const path = `/${relative(webRoot, file).split(sep).join("/")}`;
      this.#files.set(path, { body: readFileSync(file), type });
    }
    const index = this.#files.get("/index.html");
    if (index !== undefined) this.#files.set("/", index);
    const uplot = dirname(createRequire(import.meta.url).resolve("uplot"));
    for (const name of ["uPlot.esm.js", "uPlot.min.css"]) {
      const type = TYPES[extname(name)];
      if (type !== undefined) this.#files.set(`/vendor/uplot/${name}`, { body: readFileSync(join(uplot, name)), type });
    }
  }

  /** Whether `pathname` names a served file. */
  has(pathname: string): boolean {
    return this.#files.has(pathname);
  }

  /** Sends the file at `pathname` (which must exist); HEAD gets headers only. */
  send(res: ServerResponse, pathname: string, head: boolean): void {
    const file = this.#files.get(pathname);
    if (file === undefined) throw new Error(`no static file ${pathname}`);
    res.writeHead(200, { ...HEADERS, "content-type": file.type, "content-length": file.body.length });
    res.end(head ? undefined : file.body);
  }
}

function listFiles(dir: string): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}
