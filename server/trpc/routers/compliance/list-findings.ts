import { z } from "zod";
import { listFindings } from "@/server/contexts/compliance/findings";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { findingOutput } from "./outputs";

export const listFindingsInput = z
  .object({
    ...portfolioInput,
    status: z.enum(["open", "acknowledged", "resolved"]).optional(),
    kind: z.string().min(1).max(100).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();

export const listFindingsProcedure = portfolioProcedure("audit.read")
  .input(listFindingsInput)
  .output(z.array(findingOutput))
  .query(({ ctx, input }) => listFindings({ db: ctx.db, ...input }));
