/**
 * Test helper: an in-memory lock table that decides lock changes atomically
 * the way the store does (the domain transition lease, target claims), for
 * simulations with several operations sharing domains and targets.
 */
import type { LockChanges } from "../store/store.ts";

/** A refusal, as the store would report it. */
export interface LockRefusal {
  readonly code: "domain-busy" | "claim-conflict";
  readonly message: string;
}

/** Domain leases and target claims of simulated operations. */
export class LockTable {
  readonly domains = new Map<string, { readonly operationId: string; readonly stage: string }>();
  readonly claims = new Map<string, string>();

  /** Applies `changes` for `operationId` all at once, or nothing and a refusal. */
  apply(operationId: string, changes: LockChanges): LockRefusal | undefined {
    const wanted = changes.acquireDomain;
    if (wanted !== undefined) {
      const holder = this.domains.get(wanted.domain);
      if (holder !== undefined && holder.operationId !== operationId) {
        return {
          code: "domain-busy",
          message: `domain ${wanted.domain} in transition by ${holder.operationId} stage ${holder.stage}`,
        };
      }
    }
    for (const claim of changes.acquireClaims ?? []) {
      const holder = this.claims.get(claim);
      if (holder !== undefined && holder !== operationId) {
        return { code: "claim-conflict", message: `target ${claim} claimed by ${holder}` };
      }
    }
    if (changes.releaseDomain !== undefined && this.domains.get(changes.releaseDomain)?.operationId === operationId) {
      this.domains.delete(changes.releaseDomain);
    }
    if (changes.releaseClaims === true) {
      for (const [claim, holder] of this.claims) if (holder === operationId) this.claims.delete(claim);
    }
    if (wanted !== undefined) this.domains.set(wanted.domain, { operationId, stage: wanted.stage });
    for (const claim of changes.acquireClaims ?? []) this.claims.set(claim, operationId);
    return undefined;
  }

  /** Claims held by `operationId`. */
  claimsOf(operationId: string): string[] {
    return [...this.claims].filter(([, holder]) => holder === operationId).map(([claim]) => claim);
  }
}
