// Revenue and spend per day for charts (CTRL-002), for a portfolio or one venture, per currency:
// one row per day of the period (days without postings are zeros), read from the daily totals.
import type { Db } from "@/server/shared/db";
import type { Currency } from "../ledger/currency";
import { readActivity } from "./activity-sql";
import { type Day, eachDay, type Period, resolvePeriod } from "./period";

export type DailyPoint = { day: Day; revenueMinor: bigint; expensesMinor: bigint; netMinor: bigint };

export type DailySeries = {
  portfolioId: string;
  ventureId: string | null;
  period: Period;
  currencies: Array<{ currency: Currency; points: DailyPoint[] }>;
};

export const maxSeriesDays = 366;

export async function dailySeries(options: {
  db: Db;
  portfolioId: string;
  ventureId?: string | null;
  from?: unknown;
  to?: unknown;
  now?: Date;
}): Promise<DailySeries> {
  const period = resolvePeriod(options, options.now ?? new Date(), {
    defaultDays: 30,
    maxDays: maxSeriesDays,
  });
  const ventureId = options.ventureId ?? null;
  const rows = await readActivity(options.db, {
    portfolioId: options.portfolioId,
    ventureId,
    from: period.from,
    to: period.to,
    byDay: true,
    byVenture: false,
  });
  const days = eachDay(period.from, period.to);
  const byCurrency = new Map<Currency, Map<Day, DailyPoint>>();
  for (const row of rows) {
    let points = byCurrency.get(row.currency);
    if (!points) {
      points = new Map(days.map((day) => [day, { day, revenueMinor: 0n, expensesMinor: 0n, netMinor: 0n }]));
      byCurrency.set(row.currency, points);
    }
    const point = points.get(row.day!);
    if (!point) continue;
    if (row.kind === "revenue") point.revenueMinor += row.amountMinor;
    else point.expensesMinor += row.amountMinor;
    point.netMinor = point.revenueMinor - point.expensesMinor;
  }
  return {
    portfolioId: options.portfolioId,
    ventureId,
    period,
    currencies: [...byCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, points]) => ({ currency, points: [...points.values()] })),
  };
}
