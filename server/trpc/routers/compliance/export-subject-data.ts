import { z } from "zod";
import { exportSubjectData } from "@/server/contexts/compliance/export-subject-data";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { dataSubjectExportOutput } from "./outputs";

export const subjectInput = z
  .object({
    ...portfolioInput,
    /** A subject id, user id or email address. */
    subject: z.string({ error: "required: a subject id, user id or email address" }),
  })
  .strict();

/** A DSAR export (auditor or admin): recorded as an event, so it is a mutation. */
export const exportSubjectDataProcedure = portfolioProcedure("personal_data.read")
  .input(subjectInput)
  .output(dataSubjectExportOutput)
  .mutation(({ ctx, input }) =>
    exportSubjectData({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      portfolioId: input.portfolioId,
      subject: input.subject,
    }),
  );
