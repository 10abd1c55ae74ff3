// The rebalancing view of a portfolio (ORCH-007, ADR 0016): every venture's budget, burn, runway and
// revenue growth from the ledger, and the recommendations the rules in recommendations.ts draw from
// them. A handful of indexed reads (two windows of daily totals, the budget accounts, the ventures,
// their freezes and the transfers awaiting approval), whatever the size of the ledger; the rest is pure.
import type { Db } from "@/server/shared/db";
import { type AccountRow, accountColumns, toAccountBalance } from "../ledger/account-rows";
import { type Currency, parseMinor } from "../ledger/currency";
import { readActivity } from "../reports/activity-sql";
import { effectiveDays } from "../reports/burn";
import { addDays, type Period, resolveWindow } from "../reports/period";
import {
  defaultRebalancingRules,
  type RebalancingRules,
  type Recommendation,
  recommendRebalancing,
  type VentureAssessment,
  type VentureFigures,
} from "./recommendations";

export type RebalancingOverview = {
  portfolioId: string;
  asOf: Date;
  /** The last window (burn, runway, revenue) and the one before it (revenue growth). */
  window: Period;
  previousWindow: Period;
  rules: RebalancingRules;
  /** The whole portfolio's treasury is frozen: nothing can move until it is unfrozen. */
  portfolioFrozen: boolean;
  ventures: VentureAssessment[];
  recommendations: Recommendation[];
};

const dayMs = 86_400_000;

export async function rebalancingOverview(options: {
  db: Db;
  portfolioId: string;
  now?: Date;
  rules?: RebalancingRules;
}): Promise<RebalancingOverview> {
  const rules = options.rules ?? defaultRebalancingRules;
  const now = options.now ?? new Date();
  const window = resolveWindow(rules.windowDays, now);
  const previousWindow: Period = {
    from: addDays(window.from, -rules.windowDays),
    to: addDays(window.from, -1),
    days: rules.windowDays,
  };
  const [current, previous, budgets, ventures, freezes, incoming] = await Promise.all([
    readActivity(options.db, { portfolioId: options.portfolioId, from: window.from, to: window.to }),
    readActivity(options.db, {
      portfolioId: options.portfolioId,
      from: previousWindow.from,
      to: previousWindow.to,
    }),
    options.db.$queryRawUnsafe<AccountRow[]>(
      `SELECT ${accountColumns} FROM ledger_accounts
        WHERE portfolio_id = $1 AND code = 'budget' AND venture_id IS NOT NULL`,
      options.portfolioId,
    ),
    options.db.$queryRawUnsafe<
      Array<{ id: string; name: string; currency: string; stage: string; created_at: Date }>
    >(
      "SELECT id, name, currency, stage, created_at FROM ventures WHERE portfolio_id = $1 ORDER BY name, id",
      options.portfolioId,
    ),
    options.db.$queryRawUnsafe<Array<{ venture_id: string | null }>>(
      "SELECT venture_id FROM treasury_freezes WHERE portfolio_id = $1",
      options.portfolioId,
    ),
    // Transfers awaiting approval, per target: budget already on its way.
    options.db.$queryRawUnsafe<Array<{ to_venture_id: string; currency: string; amount: string }>>(
      `SELECT t.to_venture_id, t.currency::text AS currency, sum(t.amount_minor)::text AS amount
         FROM treasury_budget_transfers t JOIN money_intents i ON i.id = t.intent_id
        WHERE t.portfolio_id = $1 AND i.status = 'pending_approval'
        GROUP BY 1, 2`,
      options.portfolioId,
    ),
  ]);

  const key = (ventureId: string, currency: string) => `${ventureId}:${currency}`;
  const sum = (rows: typeof current, kind: "revenue" | "expense") => {
    const totals = new Map<string, bigint>();
    for (const row of rows) {
      if (!row.ventureId || row.kind !== kind) continue;
      const k = key(row.ventureId, row.currency);
      totals.set(k, (totals.get(k) ?? 0n) + row.amountMinor);
    }
    return totals;
  };
  const spend = sum(current, "expense");
  const revenue = sum(current, "revenue");
  const previousRevenue = sum(previous, "revenue");
  const budgetOf = new Map(
    budgets.map(toAccountBalance).map((account) => [key(account.ventureId!, account.currency), account]),
  );
  const pendingTo = new Map(
    incoming.map((row) => [key(row.to_venture_id, row.currency), parseMinor(row.amount)]),
  );
  const portfolioFrozen = freezes.some((f) => f.venture_id === null);
  const frozen = new Set(freezes.flatMap((f) => (f.venture_id ? [f.venture_id] : [])));
  const windowFromMs = Date.parse(`${window.from}T00:00:00Z`);

  const figures: VentureFigures[] = ventures.map((venture) => {
    const k = key(venture.id, venture.currency);
    const budget = budgetOf.get(k);
    return {
      ventureId: venture.id,
      ventureName: venture.name,
      currency: venture.currency as Currency,
      stage: venture.stage,
      frozen: portfolioFrozen || frozen.has(venture.id),
      ageDays: Math.max(0, Math.floor((now.getTime() - venture.created_at.getTime()) / dayMs)),
      budgetAvailableMinor: budget?.availableMinor ?? 0n,
      budgetFloorMinor: budget?.floorMinor ?? 0n,
      spendMinor: spend.get(k) ?? 0n,
      spendDays: effectiveDays(window.days, windowFromMs, venture.created_at.getTime()),
      revenueMinor: revenue.get(k) ?? 0n,
      previousRevenueMinor: previousRevenue.get(k) ?? 0n,
      incomingPendingMinor: pendingTo.get(k) ?? 0n,
    };
  });
  const advice = recommendRebalancing(figures, rules);
  return {
    portfolioId: options.portfolioId,
    asOf: now,
    window,
    previousWindow,
    rules,
    portfolioFrozen,
    ventures: advice.ventures,
    recommendations: advice.recommendations,
  };
}
