/**
 * The e-detector used by every sequential test: a mixture over a small grid of
 * alternative rates of a sequential probability ratio test started at the
 * subject's first tick (weight w0), plus a CUSUM over later start points
 * (weight 1 − w0, spread over ticks) so that a subject that turns bad late is
 * still caught. Each factor is a likelihood ratio of Binomial(n, q) against
 * Binomial(n, p1) with q > p1 chosen before the tick's data are seen, so under
 * H0 "rate ≤ p1" every term is a non-negative supermartingale of mean ≤ 1 and
 * Ville's inequality bounds the false-alarm probability by exp(−threshold).
 * Works in place on plain arrays (the detector copies state before a step).
 */

/** Alternatives of one test family, as odds ratios over p1 with prior weights. */
export interface AlternativeGrid {
  /** Odds ratios of the SPRT alternatives over p1 (all > 1). */
  readonly oddsRatios: readonly number[];
  /** Prior weights of those alternatives (sum 1). */
  readonly weights: readonly number[];
  /** Odds ratios of the alternatives the late-start CUSUMs look for (one CUSUM each). */
  readonly restartOddsRatios: readonly number[];
  /** Prior weights of those (sum 1). */
  readonly restartWeights: readonly number[];
}

/** Precomputed logs of a grid's weights. */
export interface GridShape {
  readonly sprtSize: number;
  readonly restartSize: number;
  /** ln v_j of the SPRT alternatives. */
  readonly logWeights: readonly number[];
  /** ln u_j of the restart alternatives. */
  readonly restartLogWeights: readonly number[];
  /** ln of the number of terms (for the cheap upper bound). */
  readonly logTermCount: number;
}

/** Shape (sizes and log weights) of a grid. */
export function gridShape(grid: AlternativeGrid): GridShape {
  return {
    sprtSize: grid.oddsRatios.length,
    restartSize: grid.restartOddsRatios.length,
    logWeights: grid.weights.map(Math.log),
    restartLogWeights: grid.restartWeights.map(Math.log),
    logTermCount: Math.log(grid.oddsRatios.length + grid.restartOddsRatios.length),
  };
}

/** Per-subject statistics of one family of tests, struct-of-arrays, JSON-plain. */
export interface SubjectBank {
  /** ln w0: weight of the SPRT started at the subject's first tick. */
  readonly logStartWeight: number[];
  /** ln(1 − w0): weight of the late-start CUSUM. */
  readonly logLateWeight: number[];
  /** Log likelihood ratio of each grid alternative since the first tick (grid size per subject). */
  readonly sprt: number[];
  /** CUSUMs over later starts, one per restart alternative: max over s of ln w_s + log LR since s. */
  readonly restart: number[];
  /** Requests and errors since each CUSUM's current start. */
  readonly restartRequests: number[];
  readonly restartErrors: number[];
  /** Ticks in which the subject had requests (indexes the restart weights). */
  readonly dataTicks: number[];
  /** Requests and errors since the first tick. */
  readonly requests: number[];
  readonly errors: number[];
}

/** Late starts are spread as w_k = F(k) − F(k−1), F(k) = k/(k + H): about 1/H per tick for the first H ticks. */
export const RESTART_HORIZON_TICKS = 7200;
/** Floor that keeps log statistics finite (JSON has no −Infinity). */
const LOG_FLOOR = -1e12;

function computeRestartLogWeight(k: number): number {
  const h = RESTART_HORIZON_TICKS;
  return Math.log(h) - Math.log(k + h) - Math.log(k - 1 + h);
}

const RESTART_TABLE_SIZE = 1 << 16;
const restartTable = new Float64Array(RESTART_TABLE_SIZE);
for (let k = 1; k < RESTART_TABLE_SIZE; k++) restartTable[k] = computeRestartLogWeight(k);

/** ln w_k of the k-th data tick (k ≥ 1) for the late-start CUSUM. */
export function restartLogWeight(k: number): number {
  return k < RESTART_TABLE_SIZE ? (restartTable[k] ?? 0) : computeRestartLogWeight(k);
}

/** Alternative rate with odds(q) = odds(p1) × oddsRatio. */
export function alternativeRate(p1: number, oddsRatio: number): number {
  const odds = (p1 / (1 - p1)) * oddsRatio;
  return odds / (1 + odds);
}

/** Length of the log-factor array of a grid. */
export function factorCount(grid: AlternativeGrid): number {
  return 2 * (grid.oddsRatios.length + grid.restartOddsRatios.length);
}

/**
 * Fills `out` with the per-request log factors at null rate p1: for each SPRT
 * alternative then each restart one, ln(q/p1) at out[j] and ln((1−q)/(1−p1))
 * at out[size + j], size = all alternatives. Requires 0 < p1 < 1.
 */
export function fillLogFactors(grid: AlternativeGrid, p1: number, out: Float64Array): void {
  const sprtSize = grid.oddsRatios.length;
  const size = sprtSize + grid.restartOddsRatios.length;
  const logP1 = Math.log(p1);
  const log1mP1 = Math.log1p(-p1);
  for (let j = 0; j < size; j++) {
    const ratio = j < sprtSize ? (grid.oddsRatios[j] ?? 1) : (grid.restartOddsRatios[j - sprtSize] ?? 1);
    const q = alternativeRate(p1, ratio);
    out[j] = Math.log(q) - logP1;
    out[size + j] = Math.log1p(-q) - log1mP1;
  }
}

/** Appends a fresh subject with SPRT weight w0 (0 < w0 < 1). */
export function addSubject(bank: SubjectBank, shape: GridShape, startWeight: number): void {
  bank.logStartWeight.push(Math.log(startWeight));
  bank.logLateWeight.push(Math.log1p(-startWeight));
  for (let j = 0; j < shape.sprtSize; j++) bank.sprt.push(0);
  for (let j = 0; j < shape.restartSize; j++) {
    bank.restart.push(LOG_FLOOR);
    bank.restartRequests.push(0);
    bank.restartErrors.push(0);
  }
  bank.dataTicks.push(0);
  bank.requests.push(0);
  bank.errors.push(0);
}

/** Feeds one tick (n requests, e errors, 0 ≤ e ≤ n, n > 0) to subject i with log factors from `fillLogFactors`. */
export function updateSubject(
  bank: SubjectBank,
  i: number,
  n: number,
  e: number,
  factors: Float64Array,
  shape: GridShape,
): void {
  const sprtSize = shape.sprtSize;
  const size = sprtSize + shape.restartSize;
  const ok = n - e;
  const base = i * sprtSize;
  for (let j = 0; j < sprtSize; j++) {
    const value = (bank.sprt[base + j] ?? 0) + e * (factors[j] ?? 0) + ok * (factors[size + j] ?? 0);
    bank.sprt[base + j] = Math.max(value, LOG_FLOOR);
  }
  const k = (bank.dataTicks[i] ?? 0) + 1;
  bank.dataTicks[i] = k;
  const logWeight = restartLogWeight(k);
  const restartBase = i * shape.restartSize;
  for (let j = 0; j < shape.restartSize; j++) {
    const at = restartBase + j;
    let restart = bank.restart[at] ?? LOG_FLOOR;
    if (logWeight > restart) {
      restart = logWeight;
      bank.restartRequests[at] = 0;
      bank.restartErrors[at] = 0;
    }
    restart += e * (factors[sprtSize + j] ?? 0) + ok * (factors[size + sprtSize + j] ?? 0);
    bank.restart[at] = Math.max(restart, LOG_FLOOR);
    bank.restartRequests[at] = (bank.restartRequests[at] ?? 0) + n;
    bank.restartErrors[at] = (bank.restartErrors[at] ?? 0) + e;
  }
  bank.requests[i] = (bank.requests[i] ?? 0) + n;
  bank.errors[i] = (bank.errors[i] ?? 0) + e;
}

/** ln Σ_j exp(values[base + j] + logWeights[j]) plus `offset`, and the index of the largest term. */
function logMixture(
  values: readonly number[],
  base: number,
  logWeights: readonly number[],
  offset: number,
): [number, number] {
  let max = LOG_FLOOR;
  let best = 0;
  for (let j = 0; j < logWeights.length; j++) {
    const term = (values[base + j] ?? LOG_FLOOR) + (logWeights[j] ?? 0);
    if (term > max) {
      max = term;
      best = j;
    }
  }
  let sum = 0;
  for (let j = 0; j < logWeights.length; j++)
    sum += Math.exp((values[base + j] ?? LOG_FLOOR) + (logWeights[j] ?? 0) - max);
  return [offset + max + Math.log(sum), best];
}

/** Which part of the e-detector carries the evidence. */
export interface SubjectScore {
  /** ln of the e-detector: compare with ln(1/alpha_i). */
  readonly score: number;
  /** −1 when the SPRT from the first tick dominates, else the index of the dominant restart CUSUM. */
  readonly restartIndex: number;
}

/** ln of the whole e-detector of subject i. */
export function subjectScore(bank: SubjectBank, i: number, shape: GridShape): SubjectScore {
  const [sprt] = logMixture(bank.sprt, i * shape.sprtSize, shape.logWeights, bank.logStartWeight[i] ?? 0);
  const [restart, best] = logMixture(
    bank.restart,
    i * shape.restartSize,
    shape.restartLogWeights,
    bank.logLateWeight[i] ?? 0,
  );
  const max = Math.max(sprt, restart);
  return {
    score: max + Math.log(Math.exp(sprt - max) + Math.exp(restart - max)),
    restartIndex: restart > sprt ? i * shape.restartSize + best : -1,
  };
}

/**
 * Cheap upper bound on `subjectScore(...).score` (largest term + ln of the
 * term count): when it is below the threshold the exact score is not needed.
 */
export function subjectScoreUpperBound(bank: SubjectBank, i: number, shape: GridShape): number {
  let max = LOG_FLOOR;
  const logStart = bank.logStartWeight[i] ?? 0;
  const sprtBase = i * shape.sprtSize;
  for (let j = 0; j < shape.sprtSize; j++) {
    const term = logStart + (bank.sprt[sprtBase + j] ?? LOG_FLOOR) + (shape.logWeights[j] ?? 0);
    if (term > max) max = term;
  }
  const logLate = bank.logLateWeight[i] ?? 0;
  const restartBase = i * shape.restartSize;
  for (let j = 0; j < shape.restartSize; j++) {
    const term = logLate + (bank.restart[restartBase + j] ?? LOG_FLOOR) + (shape.restartLogWeights[j] ?? 0);
    if (term > max) max = term;
  }
  return max + shape.logTermCount;
}
