import { z } from "zod";
import { requestVerification } from "@/server/contexts/compliance/verifications";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { verificationOutput } from "./outputs";

export const startVerificationInput = z.object(portfolioInput).strict();

/** Queues a full verification (database and outside copies); poll getVerification for progress. */
export const startVerificationProcedure = portfolioProcedure("audit.read")
  .input(startVerificationInput)
  .output(verificationOutput)
  .mutation(({ ctx, input }) =>
    requestVerification({ db: ctx.db, actor: ctx.actor, portfolioId: input.portfolioId }),
  );
