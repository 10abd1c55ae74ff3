import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { getVenture } from "@/server/contexts/orchestration/get-venture";
import { runwayReport } from "@/server/contexts/treasury/reports/api";
import { portfolioProcedure } from "@/server/trpc/init";
import { ventureDetailOutput } from "./venture-output";

export const getVentureInput = z.object({ ventureId: z.string().min(1) }).strict();

export const getVentureProcedure = portfolioProcedure("venture.read")
  .input(getVentureInput)
  .output(ventureDetailOutput)
  .query(async ({ ctx, input }) => {
    const venture = await getVenture({ db: ctx.db, ventureId: input.ventureId });
    if (!venture) throw new TRPCError({ code: "NOT_FOUND", message: `Venture ${input.ventureId} not found` });
    // KPIs from the ledger (ORCH-001): the same figures as the treasury's runway report.
    const report = await runwayReport({
      db: ctx.db,
      portfolioId: venture.portfolioId,
      ventureId: venture.id,
    });
    const row = report.ventures.find((v) => v.ventureId === venture.id);
    const kpis = row
      ? {
          currency: row.currency,
          windowDays: row.days,
          revenueMinor: row.revenueMinor.toString(),
          spendMinor: row.expensesMinor.toString(),
          netBurnPerDayMinor: row.netBurnPerDayMinor.toString(),
          availableMinor: row.availableMinor.toString(),
          runwayDays: row.runwayDays,
        }
      : null;
    return { ...venture, kpis };
  });
