import { z } from "zod";
import { auditOverview } from "@/server/contexts/compliance/audit-overview";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { auditOverviewOutput } from "./outputs";

export const overviewInput = z.object(portfolioInput).strict();

export const overviewProcedure = portfolioProcedure("audit.read")
  .input(overviewInput)
  .output(auditOverviewOutput)
  .query(({ ctx, input }) => auditOverview({ db: ctx.db, portfolioId: input.portfolioId }));
