import { z } from "zod";
import { listEvidencePacks } from "@/server/contexts/compliance/evidence-packs";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { evidencePackOutput } from "./outputs";

export const listEvidencePacksInput = z
  .object({ ...portfolioInput, limit: z.number().int().min(1).max(200).optional() })
  .strict();

export const listEvidencePacksProcedure = portfolioProcedure("audit.export")
  .input(listEvidencePacksInput)
  .output(z.array(evidencePackOutput))
  .query(({ ctx, input }) => listEvidencePacks({ db: ctx.db, ...input }));
