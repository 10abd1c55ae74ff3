import { z } from "zod";
import { getVerification } from "@/server/contexts/compliance/verifications";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { verificationOutput } from "./outputs";

export const getVerificationInput = z
  .object({ ...portfolioInput, verificationId: z.string().min(1) })
  .strict();

export const getVerificationProcedure = portfolioProcedure("audit.read")
  .input(getVerificationInput)
  .output(verificationOutput)
  .query(({ ctx, input }) =>
    getVerification({ db: ctx.db, portfolioId: input.portfolioId, verificationId: input.verificationId }),
  );
