// Treasury report procedures (TREAS-009, ADR 0012): trial balance, P&L, burn and runway, daily
// series, and each as CSV. Read-only, every role. Spread into the treasury router.
import {
  dailySeries,
  profitAndLoss,
  reportCsv,
  runwayReport,
  trialBalanceReport,
} from "@/server/contexts/treasury/reports/api";
import { portfolioProcedure } from "@/server/trpc/init";
import {
  csvFileOutput,
  dailySeriesOutput,
  periodInput,
  profitAndLossOutput,
  reportCsvInput,
  runwayInput,
  runwayOutput,
  trialBalanceInput,
  trialBalanceOutput,
} from "./funding-schemas";

export const reportProcedures = {
  trialBalance: portfolioProcedure("ledger.read")
    .input(trialBalanceInput)
    .output(trialBalanceOutput)
    .query(({ ctx, input }) => trialBalanceReport({ db: ctx.db, ...input })),
  profitAndLoss: portfolioProcedure("ledger.read")
    .input(periodInput)
    .output(profitAndLossOutput)
    .query(({ ctx, input }) => profitAndLoss({ db: ctx.db, ...input })),
  runway: portfolioProcedure("ledger.read")
    .input(runwayInput)
    .output(runwayOutput)
    .query(({ ctx, input }) => runwayReport({ db: ctx.db, ...input })),
  dailySeries: portfolioProcedure("ledger.read")
    .input(periodInput)
    .output(dailySeriesOutput)
    .query(({ ctx, input }) => dailySeries({ db: ctx.db, ...input })),
  reportCsv: portfolioProcedure("ledger.read")
    .input(reportCsvInput)
    .output(csvFileOutput)
    .query(({ ctx, input }) => reportCsv({ db: ctx.db, ...input })),
};
