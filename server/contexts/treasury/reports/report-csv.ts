// CSV exports of the reports (TREAS-009): the same figures as the pages and the JSON API, one file
// per report, named after the portfolio, the report and its period.
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { decimal, toCsv } from "./csv";
import { dailySeries } from "./daily-series";
import { dayOf } from "./period";
import { profitAndLoss } from "./profit-and-loss";
import { runwayReport } from "./runway";
import { trialBalanceReport } from "./trial-balance-report";

export const reportKinds = ["trial-balance", "pnl", "runway", "daily"] as const;
export type ReportKind = (typeof reportKinds)[number];

export type CsvFile = { fileName: string; contentType: string; content: string };

const contentType = "text/csv; charset=utf-8";

export async function reportCsv(options: {
  db: Db;
  portfolioId: string;
  report: string;
  ventureId?: string | null;
  from?: unknown;
  to?: unknown;
  windowDays?: unknown;
  now?: Date;
}): Promise<CsvFile> {
  const now = options.now ?? new Date();
  const base = { db: options.db, portfolioId: options.portfolioId, ventureId: options.ventureId ?? null };
  const name = (kind: string, span: string) => `${options.portfolioId}-${kind}-${span}.csv`;
  switch (options.report as ReportKind) {
    case "trial-balance": {
      const report = await trialBalanceReport(base);
      const rows = report.currencies.flatMap((section) => [
        ...section.rows.map((r) => [
          section.currency,
          r.ventureName ?? (r.ventureId === null ? "Portfolio treasury" : r.ventureId),
          r.accountId,
          r.code,
          r.kind,
          decimal(r.debitMinor, section.currency),
          decimal(r.creditMinor, section.currency),
        ]),
        [
          section.currency,
          "TOTAL",
          "",
          "",
          "",
          decimal(section.totalDebitMinor, section.currency),
          decimal(section.totalCreditMinor, section.currency),
        ],
      ]);
      return {
        fileName: name("trial-balance", dayOf(report.asOf)),
        contentType,
        content: toCsv(["currency", "book", "account", "code", "kind", "debit", "credit"], rows),
      };
    }
    case "pnl": {
      const report = await profitAndLoss({ ...base, from: options.from, to: options.to, now });
      const rows = report.ventures.flatMap((l) => [
        [l.ventureName, l.ventureId, l.currency, "revenue", "", decimal(l.revenueMinor, l.currency)],
        ...l.expensesByCategory.map((e) => [
          l.ventureName,
          l.ventureId,
          l.currency,
          "expense",
          e.category,
          decimal(e.amountMinor, l.currency),
        ]),
        [l.ventureName, l.ventureId, l.currency, "net_income", "", decimal(l.netIncomeMinor, l.currency)],
      ]);
      for (const t of report.totals) {
        rows.push(["TOTAL", "", t.currency, "revenue", "", decimal(t.revenueMinor, t.currency)]);
        rows.push(["TOTAL", "", t.currency, "expenses", "", decimal(t.expensesMinor, t.currency)]);
        rows.push(["TOTAL", "", t.currency, "net_income", "", decimal(t.netIncomeMinor, t.currency)]);
      }
      return {
        fileName: name("pnl", `${report.period.from}_${report.period.to}`),
        contentType,
        content: toCsv(["venture", "venture_id", "currency", "line", "category", "amount"], rows),
      };
    }
    case "runway": {
      const report = await runwayReport({ ...base, windowDays: options.windowDays, now });
      const rows = [
        ...report.ventures.map((v) => [
          v.ventureName,
          v.ventureId,
          v.currency,
          v.days,
          decimal(v.revenueMinor, v.currency),
          decimal(v.expensesMinor, v.currency),
          decimal(v.netBurnPerDayMinor, v.currency),
          decimal(v.availableMinor, v.currency),
          v.runwayDays,
        ]),
        ...report.portfolio.map((p) => [
          "PORTFOLIO",
          "",
          p.currency,
          p.days,
          decimal(p.revenueMinor, p.currency),
          decimal(p.expensesMinor, p.currency),
          decimal(p.netBurnPerDayMinor, p.currency),
          decimal(p.availableMinor, p.currency),
          p.runwayDays,
        ]),
      ];
      return {
        fileName: name("runway", `${report.window.from}_${report.window.to}`),
        contentType,
        content: toCsv(
          [
            "venture",
            "venture_id",
            "currency",
            "days",
            "revenue",
            "expenses",
            "net_burn_per_day",
            "available",
            "runway_days",
          ],
          rows,
        ),
      };
    }
    case "daily": {
      const series = await dailySeries({ ...base, from: options.from, to: options.to, now });
      const rows = series.currencies.flatMap((c) =>
        c.points.map((p) => [
          p.day,
          c.currency,
          decimal(p.revenueMinor, c.currency),
          decimal(p.expensesMinor, c.currency),
          decimal(p.netMinor, c.currency),
        ]),
      );
      return {
        fileName: name("daily", `${series.period.from}_${series.period.to}`),
        contentType,
        content: toCsv(["day", "currency", "revenue", "expenses", "net"], rows),
      };
    }
    default:
      throw new AppError("BAD_REQUEST", `Invalid report: report: one of ${reportKinds.join(", ")}`, {
        fields: { report: `one of ${reportKinds.join(", ")}` },
      });
  }
}
