/** Number and duration formatting for gate explanations and event messages. */

/** A number with at most three decimals: `143`, `0.052`. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** A duration for humans: `250ms`, `12s`, `5m`, `4m30s`, `2h5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
}

/** A fraction as a percentage: `0.019` → `1.9%`. */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}
