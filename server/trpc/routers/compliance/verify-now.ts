import { z } from "zod";
import { verifyAuditTrail } from "@/server/contexts/compliance/verify-audit-trail";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { verificationResultOutput } from "./outputs";

export const verifyNowInput = z.object(portfolioInput).strict();

/**
 * Verifies the chain and the database's signed checkpoints now, in this process (GET
 * /api/v1/audit/verify). The copies outside the database are checked by the compliance worker:
 * startVerification and the schedule.
 */
export const verifyNowProcedure = portfolioProcedure("audit.read")
  .input(verifyNowInput)
  .output(verificationResultOutput)
  .query(({ ctx }) => verifyAuditTrail({ db: ctx.db }));
