/** PostgreSQL WAL positions (`pg_lsn`, text `16/B374D848`) as byte offsets. */

/** Parses `hi/lo` hex into a byte offset; `undefined` for anything else. Pure. */
export function parseLsn(text: unknown): bigint | undefined {
  if (typeof text !== "string") return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** Bytes `replayed` is behind `target`, never negative. Pure. */
export function bytesBehind(target: bigint, replayed: bigint): number {
  return target > replayed ? Number(target - replayed) : 0;
}
