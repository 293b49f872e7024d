/**
 * A store view whose expiring freezes last `ttlMs` from now (by the store's
 * clock). `airlock serve` gives it to its controller so `--freeze-ttl` sets
 * how long a halted operation's freeze outlives its controller: the
 * controller's runners do not take a freeze TTL option, and they renew the
 * freeze on every tick while halted. Manual freezes (no expiry) are untouched.
 */
import type { Freeze, Store } from "../store/store.ts";

/** Wraps `store`; every other method is the store's own. */
export function withFreezeTtl(store: Store, ttlMs: number): Store {
  const setFreeze = async (freeze: Freeze): Promise<void> => {
    if (freeze.expiresAtMs === null) return store.setFreeze(freeze);
    return store.setFreeze({ ...freeze, expiresAtMs: (await store.nowMs()) + ttlMs });
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === "setFreeze") return setFreeze;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
