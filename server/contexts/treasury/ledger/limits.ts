// Balances, flags and floors, pure. The database enforces the same rule with a CHECK on the account
// row (migration 20261127100100); this file is its statement in TypeScript, used to describe a
// refusal, to compute what callers see (available, headroom) and as the reference model in tests.
import { AppError } from "@/server/shared/errors";
import { type AccountKind, type AccountLimits, normalSide } from "./accounts";
import { type Currency, formatMinor } from "./currency";

/** The four cumulative totals TigerBeetle keeps on an account, in minor units, all >= 0. */
export type Balances = {
  debitsPostedMinor: bigint;
  creditsPostedMinor: bigint;
  debitsPendingMinor: bigint;
  creditsPendingMinor: bigint;
};

export const zeroBalances: Balances = {
  debitsPostedMinor: 0n,
  creditsPostedMinor: 0n,
  debitsPendingMinor: 0n,
  creditsPendingMinor: 0n,
};

export function addBalances(a: Balances, b: Balances): Balances {
  return {
    debitsPostedMinor: a.debitsPostedMinor + b.debitsPostedMinor,
    creditsPostedMinor: a.creditsPostedMinor + b.creditsPostedMinor,
    debitsPendingMinor: a.debitsPendingMinor + b.debitsPendingMinor,
    creditsPendingMinor: a.creditsPendingMinor + b.creditsPendingMinor,
  };
}

/** The posted balance on the account's normal side (debits - credits for assets and expenses). */
export function postedMinor(kind: AccountKind, b: Balances): bigint {
  return normalSide(kind) === "debit"
    ? b.debitsPostedMinor - b.creditsPostedMinor
    : b.creditsPostedMinor - b.debitsPostedMinor;
}

/**
 * Available = posted - pending, on the normal side: amounts held against the account count, amounts
 * held in its favour do not (they may still be voided).
 */
export function availableMinor(kind: AccountKind, b: Balances): bigint {
  return normalSide(kind) === "debit"
    ? b.debitsPostedMinor - b.creditsPostedMinor - b.creditsPendingMinor
    : b.creditsPostedMinor - b.debitsPostedMinor - b.debitsPendingMinor;
}

/** The balance the flag constrains (null when the account has no flag). */
export function flaggedAvailableMinor(limits: AccountLimits, b: Balances): bigint | null {
  if (limits.debitsMustNotExceedCredits)
    return b.creditsPostedMinor - b.debitsPostedMinor - b.debitsPendingMinor;
  if (limits.creditsMustNotExceedDebits)
    return b.debitsPostedMinor - b.creditsPostedMinor - b.creditsPendingMinor;
  return null;
}

/** How much more the flagged side may take before reaching the floor (null when unconstrained). */
export function headroomMinor(limits: AccountLimits, b: Balances): bigint | null {
  const available = flaggedAvailableMinor(limits, b);
  return available === null ? null : available - limits.floorMinor;
}

export function withinLimits(limits: AccountLimits, b: Balances): boolean {
  const headroom = headroomMinor(limits, b);
  return (
    b.debitsPostedMinor >= 0n &&
    b.creditsPostedMinor >= 0n &&
    b.debitsPendingMinor >= 0n &&
    b.creditsPendingMinor >= 0n &&
    (headroom === null || headroom >= 0n)
  );
}

export type FloorBreach = {
  accountId: string;
  currency: Currency;
  floorMinor: bigint;
  /** The flagged side's available balance before the change. */
  availableMinor: bigint;
  /** What the change would do to it (negative: takes from it). */
  changeMinor: bigint;
  /** How much is missing: floor - (available + change), > 0. */
  shortfallMinor: bigint;
};

/** The breach a change from `before` to `after` would cause, or null when `after` is within limits. */
export function floorBreach(
  account: { id: string; currency: Currency; limits: AccountLimits },
  before: Balances,
  after: Balances,
): FloorBreach | null {
  const availableBefore = flaggedAvailableMinor(account.limits, before);
  const availableAfter = flaggedAvailableMinor(account.limits, after);
  if (availableBefore === null || availableAfter === null || availableAfter >= account.limits.floorMinor)
    return null;
  return {
    accountId: account.id,
    currency: account.currency,
    floorMinor: account.limits.floorMinor,
    availableMinor: availableBefore,
    changeMinor: availableAfter - availableBefore,
    shortfallMinor: account.limits.floorMinor - availableAfter,
  };
}

/** The one wording of a floor refusal, whether the model or the database found it. */
export function floorBreachError(breach: FloorBreach, context: Record<string, unknown> = {}): AppError {
  const { currency } = breach;
  return new AppError(
    "UNPROCESSABLE",
    `Account ${breach.accountId} would go below its floor ${formatMinor(breach.floorMinor, currency)}: ` +
      `available ${formatMinor(breach.availableMinor, currency)}, change ${formatMinor(breach.changeMinor, currency)}, ` +
      `short by ${formatMinor(breach.shortfallMinor, currency)} (${breach.shortfallMinor} ${currency} minor)`,
    {
      ...context,
      reason: "below_floor",
      accountId: breach.accountId,
      currency,
      floorMinor: breach.floorMinor.toString(),
      availableMinor: breach.availableMinor.toString(),
      changeMinor: breach.changeMinor.toString(),
      shortfallMinor: breach.shortfallMinor.toString(),
    },
  );
}
