// What the tRPC routers and other contexts (the founder dashboard) may import from treasury reports.
export type { ActivityRow, SpendableRow } from "./activity-sql";
export { type BurnFigures, burnFigures } from "./burn";
export { type DailyPoint, type DailySeries, dailySeries, maxSeriesDays } from "./daily-series";
export { addDays, type Day, dayOf, type Period } from "./period";
export { maxReportDays, type ProfitAndLoss, type ProfitAndLossLine, profitAndLoss } from "./profit-and-loss";
export { type CsvFile, type ReportKind, reportCsv, reportKinds } from "./report-csv";
export { type PortfolioRunway, type RunwayReport, runwayReport, type VentureRunway } from "./runway";
export {
  type TrialBalanceCurrency,
  type TrialBalanceReport,
  type TrialBalanceRow,
  trialBalanceReport,
} from "./trial-balance-report";
export { type VentureBalances, ventureBalances } from "./venture-balances";
export { type DailyTotalMismatch, verifyDailyTotals } from "./verify-daily-totals";
