/** Opens the store named by `--store`, migrates it, and always closes it. */
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { UsageError } from "./exit-codes.ts";

/** Runs `fn` with an open, migrated store; a bad store URL is a usage error. */
export async function withStore<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const opened = await openStore(url);
  if (!opened.ok) throw new UsageError(opened.message);
  const store = opened.value;
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}
