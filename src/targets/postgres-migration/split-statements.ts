/**
 * Splits SQL text into top-level statements, for phases that run outside a
 * transaction: PostgreSQL runs a multi-statement query string as one
 * implicit transaction, which `CREATE INDEX CONCURRENTLY` refuses.
 */

/**
 * Statements in order, trimmed, without comments and without the `;`.
 * Respects quotes ('', "", E'\''), dollar quotes and nested block comments. Pure.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  const flush = (): void => {
    const statement = current.trim();
    if (statement !== "") statements.push(statement);
    current = "";
  };
  while (i < sql.length) {
    const rest = sql.slice(i);
    const char = sql[i] ?? "";
    if (rest.startsWith("--")) {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end;
    } else if (rest.startsWith("/*")) {
      i = skipBlockComment(sql, i);
      current += " ";
    } else if (char === "'" || char === '"') {
      const escapes = char === "'" && /[eE]$/.test(current) && !/\w[eE]$/.test(current);
      const end = skipQuoted(sql, i, char, escapes);
      current += sql.slice(i, end);
      i = end;
    } else if (char === "$" && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(rest) && !/[\w$]$/.test(current)) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest)?.[0] ?? "$$";
      const close = sql.indexOf(tag, i + tag.length);
      const end = close === -1 ? sql.length : close + tag.length;
      current += sql.slice(i, end);
      i = end;
    } else if (char === ";") {
      flush();
      i += 1;
    } else {
      current += char;
      i += 1;
    }
  }
  flush();
  return statements;
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith("/*", i)) {
      depth += 1;
      i += 2;
    } else if (sql.startsWith("*/", i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const char = sql[i];
    if (backslashEscapes && char === "\\") {
      i += 2;
    } else if (char === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

const CREATE_INDEX_CONCURRENTLY =
  /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)\s+ON\b/i;

/** Names of the indexes a statement list creates concurrently (as written, quotes kept). Pure. */
export function concurrentIndexNames(statements: readonly string[]): string[] {
  return statements.flatMap((statement) => {
    const name = CREATE_INDEX_CONCURRENTLY.exec(statement)?.[1];
    return name === undefined ? [] : [name];
  });
}
