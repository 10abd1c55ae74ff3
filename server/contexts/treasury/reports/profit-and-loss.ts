// Profit and loss per venture over a period (TREAS-009): revenue, expenses by category and net
// income, per currency, from what was posted to the ventures' revenue and expense accounts. Over a
// period that covers everything, each figure equals the account's posted balance in the ledger.
import type { Db } from "@/server/shared/db";
import type { Currency } from "../ledger/currency";
import { readActivity } from "./activity-sql";
import { type Period, resolvePeriod } from "./period";

export type ProfitAndLossLine = {
  ventureId: string;
  ventureName: string;
  currency: Currency;
  revenueMinor: bigint;
  expensesMinor: bigint;
  /** expense:<category> accounts, largest first. */
  expensesByCategory: Array<{ category: string; amountMinor: bigint }>;
  netIncomeMinor: bigint;
};

export type ProfitAndLoss = {
  portfolioId: string;
  ventureId: string | null;
  period: Period;
  ventures: ProfitAndLossLine[];
  totals: Array<{ currency: Currency; revenueMinor: bigint; expensesMinor: bigint; netIncomeMinor: bigint }>;
};

export const maxReportDays = 3_660;

export async function profitAndLoss(options: {
  db: Db;
  portfolioId: string;
  ventureId?: string | null;
  from?: unknown;
  to?: unknown;
  now?: Date;
}): Promise<ProfitAndLoss> {
  const period = resolvePeriod(options, options.now ?? new Date(), {
    defaultDays: 30,
    maxDays: maxReportDays,
  });
  const ventureId = options.ventureId ?? null;
  const [activity, ventures] = await Promise.all([
    readActivity(options.db, {
      portfolioId: options.portfolioId,
      ventureId,
      from: period.from,
      to: period.to,
      byCode: true,
    }),
    options.db.$queryRawUnsafe<Array<{ id: string; name: string; currency: string }>>(
      `SELECT id, name, currency FROM ventures WHERE portfolio_id = $1 AND ($2::text IS NULL OR id = $2)
        ORDER BY name`,
      options.portfolioId,
      ventureId,
    ),
  ]);
  const lines = new Map<string, ProfitAndLossLine>();
  const line = (id: string, name: string, currency: Currency) => {
    const key = `${id}:${currency}`;
    let found = lines.get(key);
    if (!found) {
      found = {
        ventureId: id,
        ventureName: name,
        currency,
        revenueMinor: 0n,
        expensesMinor: 0n,
        expensesByCategory: [],
        netIncomeMinor: 0n,
      };
      lines.set(key, found);
    }
    return found;
  };
  const names = new Map(ventures.map((v) => [v.id, v.name]));
  // Every venture appears in its own currency, even without activity in the period.
  for (const v of ventures) line(v.id, v.name, v.currency as Currency);
  for (const row of activity) {
    if (!row.ventureId) continue;
    const l = line(row.ventureId, names.get(row.ventureId) ?? row.ventureId, row.currency);
    if (row.kind === "revenue") l.revenueMinor += row.amountMinor;
    else {
      l.expensesMinor += row.amountMinor;
      l.expensesByCategory.push({
        category: (row.code ?? "expense:other").replace(/^expense:/, ""),
        amountMinor: row.amountMinor,
      });
    }
  }
  const totals = new Map<Currency, ProfitAndLoss["totals"][number]>();
  for (const l of lines.values()) {
    l.netIncomeMinor = l.revenueMinor - l.expensesMinor;
    l.expensesByCategory.sort((a, b) =>
      a.amountMinor === b.amountMinor
        ? a.category.localeCompare(b.category)
        : a.amountMinor > b.amountMinor
          ? -1
          : 1,
    );
    const t = totals.get(l.currency) ?? {
      currency: l.currency,
      revenueMinor: 0n,
      expensesMinor: 0n,
      netIncomeMinor: 0n,
    };
    t.revenueMinor += l.revenueMinor;
    t.expensesMinor += l.expensesMinor;
    t.netIncomeMinor += l.netIncomeMinor;
    totals.set(l.currency, t);
  }
  return {
    portfolioId: options.portfolioId,
    ventureId,
    period,
    ventures: [...lines.values()].sort(
      (a, b) => a.ventureName.localeCompare(b.ventureName) || a.currency.localeCompare(b.currency),
    ),
    totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}
