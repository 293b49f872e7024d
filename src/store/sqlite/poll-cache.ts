/**
 * What every runner polls every tick — the active freezes and its pending
 * commands — read from SQLite only when someone may have written them.
 *
 * Both tables are small and rarely written, yet a controller with 1,000
 * operations asked them 2,000 times a second (`npm run bench:engine`: about a
 * tenth of the CPU per operation-tick). The cache holds every freeze row and
 * every unconsumed command, and reloads them when either
 * - `PRAGMA data_version` moved: another connection (another process, or
 *   another store on the same file) committed something, whatever it was; or
 * - this connection wrote one of the two tables (`noteWrite`), which
 *   `data_version` does not report.
 * Reloading on any other connection's commit is conservative: it never serves
 * a freeze or command later than a direct read would, only sooner drops the
 * cache. Expiry of freezes is by time, so it is filtered at every read.
 */
import type Database from "better-sqlite3";
import type { Json } from "../../targets/target.ts";
import { type FreezeRow, toCommand, toFreeze } from "../signal-rows.ts";
import type { Freeze, StoredCommand } from "../store.ts";
import type { CommandRow } from "./sqlite-statements.ts";

/** The cached tables of one connection. */
export class PollCache {
  readonly #dataVersion: Database.Statement<[], number>;
  readonly #freezeRows: Database.Statement<[], FreezeRow>;
  readonly #commandRows: Database.Statement<[], CommandRow>;
  #writes = 0;
  #loadedWrites = -1;
  #loadedDataVersion = -1;
  #freezes: readonly Freeze[] = [];
  #commands = new Map<string, readonly StoredCommand[]>();

  constructor(db: Database.Database) {
    this.#dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
    this.#freezeRows = db.prepare<[], FreezeRow>("SELECT * FROM freezes ORDER BY domain, set_by");
    this.#commandRows = db.prepare<[], CommandRow>(
      `SELECT id, operation_id, type, actor, reason, data, created_at_ms FROM commands
       WHERE consumed_at_ms IS NULL ORDER BY id`,
    );
  }

  /** Call for every write to `freezes` or `commands` on this connection (before or inside its transaction). */
  noteWrite(): void {
    this.#writes += 1;
  }

  /** Freezes in force at `nowMs` for `domains` (all domains when omitted; `*` always applies), by domain and setter. */
  activeFreezes(nowMs: number, domains?: readonly string[]): readonly Freeze[] {
    this.#refresh();
    const wanted = domains === undefined ? undefined : new Set(domains);
    return this.#freezes.filter(
      (freeze) =>
        (freeze.expiresAtMs === null || freeze.expiresAtMs > nowMs) &&
        (wanted === undefined || freeze.domain === "*" || wanted.has(freeze.domain)),
    );
  }

  /** The operation's unconsumed commands, oldest first. */
  pendingCommands(operationId: string): readonly StoredCommand[] {
    this.#refresh();
    return this.#commands.get(operationId) ?? [];
  }

  #refresh(): void {
    const dataVersion = this.#dataVersion.get() ?? 0;
    if (dataVersion === this.#loadedDataVersion && this.#writes === this.#loadedWrites) return;
    const writes = this.#writes;
    this.#freezes = this.#freezeRows.all().map(toFreeze);
    const commands = new Map<string, StoredCommand[]>();
    for (const row of this.#commandRows.all()) {
      const list = commands.get(row.operation_id) ?? [];
      list.push(toCommand({ ...row, data: JSON.parse(row.data) as Json }));
      commands.set(row.operation_id, list);
    }
    this.#commands = commands;
    this.#loadedDataVersion = dataVersion;
    this.#loadedWrites = writes;
  }
}
