import { z } from "zod";
import { getEvidencePack } from "@/server/contexts/compliance/evidence-packs";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { evidencePackOutput } from "./outputs";

export const getEvidencePackInput = z.object({ ...portfolioInput, packId: z.string().min(1) }).strict();

export const getEvidencePackProcedure = portfolioProcedure("audit.export")
  .input(getEvidencePackInput)
  .output(evidencePackOutput)
  .query(({ ctx, input }) =>
    getEvidencePack({ db: ctx.db, portfolioId: input.portfolioId, packId: input.packId }),
  );
