// Burn and runway, pure and exact: bigint minor units throughout, integer division rounding down.
//   net spend     = expenses - revenue over the window
//   net burn/day  = net spend / days
//   runway (days) = available / net burn per day = available x days / net spend
// A window that started before the venture existed is cut to its life so far, so a young venture's
// burn is not diluted by days on which it could not spend. A venture that earns more than it
// spends does not burn: its runway is null (unbounded), never a negative number of days.

export type BurnFigures = {
  days: number;
  revenueMinor: bigint;
  expensesMinor: bigint;
  netSpendMinor: bigint;
  grossBurnPerDayMinor: bigint;
  netBurnPerDayMinor: bigint;
  availableMinor: bigint;
  /** Whole days the available money lasts at the net burn; null when nothing is burnt. */
  runwayDays: number | null;
};

/** Floor division for bigints of any sign (BigInt's / truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function burnFigures(options: {
  days: number;
  revenueMinor: bigint;
  expensesMinor: bigint;
  availableMinor: bigint;
}): BurnFigures {
  const days = BigInt(Math.max(1, Math.trunc(options.days)));
  const netSpendMinor = options.expensesMinor - options.revenueMinor;
  const available = options.availableMinor > 0n ? options.availableMinor : 0n;
  return {
    days: Number(days),
    revenueMinor: options.revenueMinor,
    expensesMinor: options.expensesMinor,
    netSpendMinor,
    grossBurnPerDayMinor: floorDiv(options.expensesMinor, days),
    netBurnPerDayMinor: floorDiv(netSpendMinor, days),
    availableMinor: options.availableMinor,
    runwayDays: netSpendMinor > 0n ? Number((available * days) / netSpendMinor) : null,
  };
}

/** Days of the window [windowFrom, windowTo] on which something existed since `since` (>= 1). */
export function effectiveDays(windowDays: number, windowFromMs: number, sinceMs: number): number {
  if (sinceMs <= windowFromMs) return windowDays;
  const lived = Math.floor((sinceMs - windowFromMs) / 86_400_000);
  return Math.max(1, windowDays - lived);
}
