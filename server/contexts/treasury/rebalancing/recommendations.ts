// Rebalancing recommendations (ORCH-007, ADR 0016), pure and exact: bigint minor units throughout,
// integer division rounding toward the safe side, no clock and no database. Given each venture's
// budget and what it spent and earned over the last two windows, it says which ventures could give
// budget (a long runway and no revenue growth), which need it (a short runway and growing revenue),
// and how much to move from which to which, with the figures that justify each move.
//
//   burn per day    = spend over the window / days (the window cut to the venture's life)
//   runway (days)   = available budget / burn per day = available × days / spend; none without spend
//   revenue growth  = revenue over the window against the window before it
//   source          = not frozen, old enough, runway ≥ longRunwayDays (or no spend), revenue not growing,
//                     and budget above what it keeps: its floor (at least 0) + sourceKeepRunwayDays of
//                     its own burn
//   target          = not frozen, not sunset, spending, runway < shortRunwayDays, revenue grown by at
//                     least minGrowthPercent (or new revenue after none)
//   amount          = what lifts the target to targetRunwayDays (transfers to it awaiting approval
//                     counted as arrived), at most what the source can spare
// Targets are served shortest runway first, each from the sources with the most to spare first.
import type { Currency } from "../ledger/currency";
import { currencyScale, formatMinor } from "../ledger/currency";

export type RebalancingRules = {
  /** Days of each window: burn and revenue over the last one, revenue growth against the one before. */
  windowDays: number;
  /** A venture whose runway is below this many days may receive budget. */
  shortRunwayDays: number;
  /** A venture whose runway is at least this many days (or that spends nothing) may give budget. */
  longRunwayDays: number;
  /** A transfer lifts the receiving venture's runway to this many days, no more. */
  targetRunwayDays: number;
  /** A giving venture keeps at least this many days of its own burn above its floor. */
  sourceKeepRunwayDays: number;
  /** A receiving venture's revenue must have grown by at least this much (new revenue counts). */
  minGrowthPercent: number;
  /** A venture younger than this is never asked to give: it has not had time to spend. */
  minSourceAgeDays: number;
};

export const defaultRebalancingRules: RebalancingRules = {
  windowDays: 30,
  shortRunwayDays: 60,
  longRunwayDays: 180,
  targetRunwayDays: 90,
  sourceKeepRunwayDays: 120,
  minGrowthPercent: 10,
  minSourceAgeDays: 30,
};

/** What the ledger says about one venture, in its own currency. */
export type VentureFigures = {
  ventureId: string;
  ventureName: string;
  currency: Currency;
  stage: string;
  /** Its own treasury or the portfolio's is frozen: any transfer touching it would be denied. */
  frozen: boolean;
  /** Whole days since the venture was created. */
  ageDays: number;
  /** The budget account's available balance (posted minus held) and its floor. */
  budgetAvailableMinor: bigint;
  budgetFloorMinor: bigint;
  /** Expenses over the last window, and the days of it the venture existed (≥ 1). */
  spendMinor: bigint;
  spendDays: number;
  /** Revenue over the last window and over the window before it. */
  revenueMinor: bigint;
  previousRevenueMinor: bigint;
  /** Budget already on its way to the venture: transfers to it awaiting approval. */
  incomingPendingMinor: bigint;
};

export type RevenueTrend = "growing" | "new" | "flat" | "declining" | "none";

export type VentureAssessment = VentureFigures & {
  burnPerDayMinor: bigint;
  /** Whole days the available budget lasts at the burn; null when nothing is spent. */
  runwayDays: number | null;
  /** Growth of revenue against the window before, in basis points; null when there was none before. */
  revenueGrowthBps: number | null;
  revenueTrend: RevenueTrend;
  role: "source" | "target" | null;
  /** What the venture can give (a source) or needs (a target); 0 otherwise. */
  movableMinor: bigint;
  neededMinor: bigint;
  /** Why the venture is, or is not, a source or a target: the rule and the figures. */
  why: string[];
};

export type Recommendation = {
  /** Stable for the same pair of ventures: `<from>:<to>` (usable inside an idempotency key). */
  id: string;
  fromVentureId: string;
  fromVentureName: string;
  toVentureId: string;
  toVentureName: string;
  amountMinor: bigint;
  currency: Currency;
  summary: string;
  /** The figures behind the move, one sentence each. */
  reasons: string[];
};

export type RebalancingAdvice = {
  ventures: VentureAssessment[];
  recommendations: Recommendation[];
};

const bpsPerUnit = 10_000n;
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

function toSafeNumber(value: bigint): number {
  return Number(value > maxSafe ? maxSafe : value < -maxSafe ? -maxSafe : value);
}

/** Ceiling division of non-negative bigints. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** Budget that covers `days` days of spending at spendMinor per spendDays, rounded up. */
function budgetForDays(figures: VentureFigures, days: number): bigint {
  if (figures.spendMinor <= 0n) return 0n;
  return ceilDiv(figures.spendMinor * BigInt(days), BigInt(Math.max(1, figures.spendDays)));
}

function trendOf(revenue: bigint, previous: bigint, minGrowthPercent: number): RevenueTrend {
  if (revenue === 0n && previous === 0n) return "none";
  if (previous === 0n) return "new";
  // revenue ≥ previous × (1 + minGrowth): compared in integers, never as a ratio of floats.
  if (revenue * 100n >= previous * (100n + BigInt(minGrowthPercent)) && revenue > previous) return "growing";
  if (revenue < previous) return "declining";
  return "flat";
}

function describeRevenue(a: VentureAssessment, rules: RebalancingRules): string {
  const now = formatMinor(a.revenueMinor, a.currency);
  const before = formatMinor(a.previousRevenueMinor, a.currency);
  const span = `in the last ${rules.windowDays} days against ${before} in the ${rules.windowDays} before`;
  switch (a.revenueTrend) {
    case "none":
      return `no revenue in the last ${rules.windowDays * 2} days`;
    case "new":
      return `revenue ${now} ${span} (new revenue)`;
    default: {
      const pct = a.revenueGrowthBps === null ? "" : formatPercent(a.revenueGrowthBps);
      return `revenue ${now} ${span} (${pct})`;
    }
  }
}

/** Basis points as a signed percentage with up to one decimal, e.g. 2500 → "+25%", -333 → "-3.3%". */
export function formatPercent(bps: number): string {
  const sign = bps > 0 ? "+" : bps < 0 ? "-" : "±";
  const abs = Math.abs(bps);
  const whole = Math.trunc(abs / 100);
  const tenth = Math.trunc((abs % 100) / 10);
  return `${sign}${whole}${tenth ? `.${tenth}` : ""}%`;
}

function describeRunway(a: VentureAssessment, rules: RebalancingRules): string {
  const budget = formatMinor(a.budgetAvailableMinor, a.currency);
  if (a.runwayDays === null)
    return `budget ${budget} available and nothing spent in the last ${rules.windowDays} days`;
  return `runway ${a.runwayDays} days: budget ${budget} available, spending ${formatMinor(a.burnPerDayMinor, a.currency)} a day over the last ${a.spendDays} days`;
}

/** Burn, runway, revenue growth and role of one venture. */
export function assessVenture(
  figures: VentureFigures,
  rules: RebalancingRules = defaultRebalancingRules,
): VentureAssessment {
  const days = BigInt(Math.max(1, figures.spendDays));
  const spending = figures.spendMinor > 0n;
  const available = figures.budgetAvailableMinor > 0n ? figures.budgetAvailableMinor : 0n;
  // available × days / spend, rounded down: the last partial day is not promised.
  const runway = spending ? (available * days) / figures.spendMinor : null;
  const growth =
    figures.previousRevenueMinor > 0n
      ? toSafeNumber(
          ((figures.revenueMinor - figures.previousRevenueMinor) * bpsPerUnit) / figures.previousRevenueMinor,
        )
      : null;
  const assessment: VentureAssessment = {
    ...figures,
    burnPerDayMinor: spending ? figures.spendMinor / days : 0n,
    runwayDays: runway === null ? null : toSafeNumber(runway),
    revenueGrowthBps: growth,
    revenueTrend: trendOf(figures.revenueMinor, figures.previousRevenueMinor, rules.minGrowthPercent),
    role: null,
    movableMinor: 0n,
    neededMinor: 0n,
    why: [],
  };
  const runwayText = describeRunway(assessment, rules);
  const revenueText = describeRevenue(assessment, rules);
  assessment.why.push(`${runwayText}; ${revenueText}.`);
  if (figures.frozen) {
    assessment.why.push("Its treasury is frozen: no budget moves to or from it until it is unfrozen.");
    return assessment;
  }

  // A target: a short runway while revenue grows.
  const shortRunway = runway !== null && runway < BigInt(rules.shortRunwayDays);
  const growing = assessment.revenueTrend === "growing" || assessment.revenueTrend === "new";
  if (shortRunway && growing && figures.stage !== "sunset") {
    // Transfers to it that await approval count as arrived: they are not recommended twice.
    const incoming = figures.incomingPendingMinor > 0n ? figures.incomingPendingMinor : 0n;
    const needed = budgetForDays(figures, rules.targetRunwayDays) - available - incoming;
    if (needed <= 0n) {
      assessment.why.push(
        incoming > 0n
          ? `Needs nothing more: ${formatMinor(incoming, figures.currency)} on its way (awaiting approval) lifts it to ${rules.targetRunwayDays} days.`
          : `Needs nothing: its runway already reaches ${rules.targetRunwayDays} days.`,
      );
      return assessment;
    }
    assessment.role = "target";
    assessment.neededMinor = needed;
    assessment.why.push(
      `Needs budget: runway below ${rules.shortRunwayDays} days with growing revenue; ${formatMinor(needed, figures.currency)} lifts it to ${rules.targetRunwayDays} days${incoming > 0n ? ` (with ${formatMinor(incoming, figures.currency)} already on its way)` : ""}.`,
    );
    return assessment;
  }

  // A source: a long runway (or no spend at all) and no revenue growth, old enough to judge.
  const longRunway = runway === null || runway >= BigInt(rules.longRunwayDays);
  const notGrowing = !growing;
  if (longRunway && notGrowing) {
    if (figures.ageDays < rules.minSourceAgeDays) {
      assessment.why.push(
        `Not asked to give: ${figures.ageDays} days old, younger than ${rules.minSourceAgeDays} days.`,
      );
      return assessment;
    }
    // Never into an overdraft, even where the floor would allow one: only budget it has can move.
    const floor = figures.budgetFloorMinor > 0n ? figures.budgetFloorMinor : 0n;
    const keep = floor + budgetForDays(figures, rules.sourceKeepRunwayDays);
    const movable = figures.budgetAvailableMinor - keep;
    if (movable > 0n) {
      assessment.role = "source";
      assessment.movableMinor = movable;
      assessment.why.push(
        `Can give ${formatMinor(movable, figures.currency)}: it keeps ${formatMinor(keep, figures.currency)} (its floor ${formatMinor(floor, figures.currency)} plus ${rules.sourceKeepRunwayDays} days of its own burn).`,
      );
      return assessment;
    }
    assessment.why.push(
      `Nothing to give: its budget does not exceed its floor plus ${rules.sourceKeepRunwayDays} days of its own burn.`,
    );
    return assessment;
  }

  if (!longRunway && !shortRunway) {
    assessment.why.push(
      `Neither: its runway is between ${rules.shortRunwayDays} and ${rules.longRunwayDays} days.`,
    );
  } else if (shortRunway) {
    assessment.why.push(
      figures.stage === "sunset"
        ? "Not topped up: the venture is being sunset."
        : `Not topped up: revenue has not grown by ${rules.minGrowthPercent}% or more.`,
    );
  } else {
    assessment.why.push("Not asked to give: its revenue is growing.");
  }
  return assessment;
}

function byRunwayThenGrowth(a: VentureAssessment, b: VentureAssessment): number {
  const ra = a.runwayDays ?? Number.MAX_SAFE_INTEGER;
  const rb = b.runwayDays ?? Number.MAX_SAFE_INTEGER;
  if (ra !== rb) return ra - rb;
  // New revenue (no growth figure) before any measured growth; then the larger growth first.
  const ga = a.revenueGrowthBps ?? Number.MAX_SAFE_INTEGER;
  const gb = b.revenueGrowthBps ?? Number.MAX_SAFE_INTEGER;
  if (ga !== gb) return gb - ga;
  return a.ventureId.localeCompare(b.ventureId);
}

function byMovable(a: VentureAssessment, b: VentureAssessment): number {
  if (a.movableMinor !== b.movableMinor) return a.movableMinor > b.movableMinor ? -1 : 1;
  return a.ventureId.localeCompare(b.ventureId);
}

/**
 * Assesses every venture and pairs targets with sources of the same currency. No recommendation
 * when nothing qualifies; never more from a source than its available budget above its floor and
 * the runway it keeps; never more to a target than lifts it to targetRunwayDays; at least one major
 * unit of the currency.
 */
export function recommendRebalancing(
  ventures: readonly VentureFigures[],
  rules: RebalancingRules = defaultRebalancingRules,
): RebalancingAdvice {
  const assessed = ventures.map((v) => assessVenture(v, rules));
  const spare = new Map(
    assessed.filter((a) => a.role === "source").map((a) => [a.ventureId, a.movableMinor]),
  );
  const sources = assessed.filter((a) => a.role === "source").sort(byMovable);
  const targets = assessed.filter((a) => a.role === "target").sort(byRunwayThenGrowth);
  const recommendations: Recommendation[] = [];
  for (const target of targets) {
    let needed = target.neededMinor;
    const minimum = 10n ** BigInt(currencyScale(target.currency));
    for (const source of sources) {
      if (needed < minimum) break;
      if (source.currency !== target.currency) continue;
      const left = spare.get(source.ventureId) ?? 0n;
      const amount = left < needed ? left : needed;
      if (amount < minimum) continue;
      spare.set(source.ventureId, left - amount);
      needed -= amount;
      recommendations.push(recommendation(source, target, amount, rules));
    }
  }
  return { ventures: assessed, recommendations };
}

function recommendation(
  source: VentureAssessment,
  target: VentureAssessment,
  amount: bigint,
  rules: RebalancingRules,
): Recommendation {
  const money = (minor: bigint) => formatMinor(minor, target.currency);
  const targetAfter = target.budgetAvailableMinor + amount;
  const targetRunwayAfter =
    target.spendMinor > 0n ? (targetAfter * BigInt(Math.max(1, target.spendDays))) / target.spendMinor : null;
  const sourceAfter = source.budgetAvailableMinor - amount;
  const sourceRunwayAfter =
    source.spendMinor > 0n
      ? `${toSafeNumber((sourceAfter * BigInt(Math.max(1, source.spendDays))) / source.spendMinor)} days of runway`
      : "no spend to cover";
  return {
    id: `${source.ventureId}:${target.ventureId}`,
    fromVentureId: source.ventureId,
    fromVentureName: source.ventureName,
    toVentureId: target.ventureId,
    toVentureName: target.ventureName,
    amountMinor: amount,
    currency: target.currency,
    summary: `Move ${money(amount)} from ${source.ventureName} (long runway, no revenue growth) to ${target.ventureName} (short runway, growing revenue).`,
    reasons: [
      `${source.ventureName}: ${describeRunway(source, rules)}; ${describeRevenue(source, rules)}.`,
      `${target.ventureName}: ${describeRunway(target, rules)}; ${describeRevenue(target, rules)}.`,
      `After the move ${target.ventureName} has ${money(targetAfter)} (${targetRunwayAfter === null ? "no spend" : `${toSafeNumber(targetRunwayAfter)} days of runway`}) and ${source.ventureName} keeps ${money(sourceAfter)} (${sourceRunwayAfter}, above its floor of ${money(source.budgetFloorMinor)}).`,
    ],
  };
}
