// Burn and runway per venture and for the whole portfolio (TREAS-009, CTRL-002): net spend per day
// over a window of days ending today, and how many days the money available lasts at that rate.
// A venture spends from its budget and its cash; the portfolio also has its treasury's unallocated
// cash. Four indexed reads, whatever the size of the ledger.
import type { Db } from "@/server/shared/db";
import type { Currency } from "../ledger/currency";
import { readActivity, readSpendable } from "./activity-sql";
import { type BurnFigures, burnFigures, effectiveDays } from "./burn";
import { type Period, resolveWindow } from "./period";

export type VentureRunway = BurnFigures & {
  ventureId: string;
  ventureName: string;
  currency: Currency;
  budgetAvailableMinor: bigint;
  cashAvailableMinor: bigint;
};

export type PortfolioRunway = BurnFigures & {
  currency: Currency;
  /** Unallocated: the portfolio treasury's own cash. */
  treasuryCashAvailableMinor: bigint;
  /** Budgets and cash of every venture. */
  venturesAvailableMinor: bigint;
};

export type RunwayReport = {
  portfolioId: string;
  window: Period;
  ventures: VentureRunway[];
  /** Per currency, over the treasury and every venture; empty when the report is for one venture. */
  portfolio: PortfolioRunway[];
};

export async function runwayReport(options: {
  db: Db;
  portfolioId: string;
  ventureId?: string | null;
  windowDays?: unknown;
  now?: Date;
}): Promise<RunwayReport> {
  const window = resolveWindow(options.windowDays, options.now ?? new Date());
  const windowFromMs = Date.parse(`${window.from}T00:00:00Z`);
  const ventureId = options.ventureId ?? null;
  const [activity, spendable, ventures, portfolios] = await Promise.all([
    readActivity(options.db, {
      portfolioId: options.portfolioId,
      ventureId,
      from: window.from,
      to: window.to,
    }),
    readSpendable(options.db, { portfolioId: options.portfolioId }),
    options.db.$queryRawUnsafe<Array<{ id: string; name: string; currency: string; created_at: Date }>>(
      `SELECT id, name, currency, created_at FROM ventures
        WHERE portfolio_id = $1 AND ($2::text IS NULL OR id = $2) ORDER BY name`,
      options.portfolioId,
      ventureId,
    ),
    options.db.$queryRawUnsafe<Array<{ created_at: Date }>>(
      "SELECT created_at FROM portfolios WHERE id = $1",
      options.portfolioId,
    ),
  ]);

  type Acc = { revenue: bigint; expenses: bigint; budget: bigint; cash: bigint };
  const zero = (): Acc => ({ revenue: 0n, expenses: 0n, budget: 0n, cash: 0n });
  // Venture → currency → figures: each venture finds its own currencies without a scan of all.
  const perVenture = new Map<string, Map<string, Acc>>();
  const perCurrency = new Map<Currency, Acc & { treasury: bigint }>();
  const ventureAcc = (ventureId: string, currency: string) => {
    let byCurrency = perVenture.get(ventureId);
    if (!byCurrency) {
      byCurrency = new Map();
      perVenture.set(ventureId, byCurrency);
    }
    let found = byCurrency.get(currency);
    if (!found) {
      found = zero();
      byCurrency.set(currency, found);
    }
    return found;
  };
  const portfolioAcc = (currency: Currency) => {
    let found = perCurrency.get(currency);
    if (!found) {
      found = { ...zero(), treasury: 0n };
      perCurrency.set(currency, found);
    }
    return found;
  };
  for (const row of activity) {
    if (!row.ventureId) continue;
    const acc = ventureAcc(row.ventureId, row.currency);
    const total = portfolioAcc(row.currency);
    if (row.kind === "revenue") {
      acc.revenue += row.amountMinor;
      total.revenue += row.amountMinor;
    } else {
      acc.expenses += row.amountMinor;
      total.expenses += row.amountMinor;
    }
  }
  const wanted = new Set(ventures.map((v) => v.id));
  for (const row of spendable) {
    const total = portfolioAcc(row.currency);
    if (row.ventureId === null) {
      total.treasury += row.cashAvailableMinor;
      continue;
    }
    total.budget += row.budgetAvailableMinor;
    total.cash += row.cashAvailableMinor;
    if (!wanted.has(row.ventureId)) continue;
    const acc = ventureAcc(row.ventureId, row.currency);
    acc.budget += row.budgetAvailableMinor;
    acc.cash += row.cashAvailableMinor;
  }

  const result: VentureRunway[] = [];
  for (const venture of ventures) {
    const days = effectiveDays(window.days, windowFromMs, venture.created_at.getTime());
    const byCurrency = perVenture.get(venture.id);
    const currencies = new Set<string>([venture.currency, ...(byCurrency?.keys() ?? [])]);
    for (const currency of [...currencies].sort()) {
      const acc = byCurrency?.get(currency) ?? zero();
      result.push({
        ventureId: venture.id,
        ventureName: venture.name,
        currency: currency as Currency,
        budgetAvailableMinor: acc.budget,
        cashAvailableMinor: acc.cash,
        ...burnFigures({
          days,
          revenueMinor: acc.revenue,
          expensesMinor: acc.expenses,
          availableMinor: acc.budget + acc.cash,
        }),
      });
    }
  }
  const portfolioDays = effectiveDays(
    window.days,
    windowFromMs,
    portfolios[0]?.created_at.getTime() ?? windowFromMs,
  );
  const portfolio: PortfolioRunway[] = [...perCurrency.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, acc]) => ({
      currency,
      treasuryCashAvailableMinor: acc.treasury,
      venturesAvailableMinor: acc.budget + acc.cash,
      ...burnFigures({
        days: portfolioDays,
        revenueMinor: acc.revenue,
        expensesMinor: acc.expenses,
        availableMinor: acc.treasury + acc.budget + acc.cash,
      }),
    }));
  // Portfolio totals only make sense over every venture.
  return {
    portfolioId: options.portfolioId,
    window,
    ventures: result,
    portfolio: ventureId ? [] : portfolio,
  };
}
