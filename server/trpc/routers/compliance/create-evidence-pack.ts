import { z } from "zod";
import { requestEvidencePack } from "@/server/contexts/compliance/evidence-packs";
import { portfolioProcedure } from "@/server/trpc/init";
import { isoInstant, portfolioInput } from "./inputs";
import { evidencePackOutput } from "./outputs";

export const createEvidencePackInput = z
  .object({ ...portfolioInput, from: isoInstant, to: isoInstant })
  .strict()
  // Zod runs this even when a date above was refused; the field's own error then stands alone.
  .refine(
    (period) =>
      !(period.from instanceof Date && period.to instanceof Date) ||
      period.to.getTime() > period.from.getTime(),
    { path: ["to"], message: "must be after from" },
  );

/** Queues an evidence pack for [from, to); the compliance worker builds it (poll getEvidencePack). */
export const createEvidencePackProcedure = portfolioProcedure("audit.export")
  .input(createEvidencePackInput)
  .output(evidencePackOutput)
  .mutation(({ ctx, input }) =>
    requestEvidencePack({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      portfolioId: input.portfolioId,
      from: input.from,
      to: input.to,
    }),
  );
