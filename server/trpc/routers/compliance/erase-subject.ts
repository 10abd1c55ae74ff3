import { z } from "zod";
import { eraseSubjects } from "@/server/contexts/compliance/erase-subject";
import { portfolioProcedure } from "@/server/trpc/init";
import { subjectInput } from "./export-subject-data";
import { erasureOutput } from "./outputs";

/** Erases the subjects an identifier names (admin): their keys destroyed, clear copies scrubbed. */
export const eraseSubjectProcedure = portfolioProcedure("personal_data.erase")
  .input(subjectInput)
  .output(z.array(erasureOutput))
  .mutation(({ ctx, input }) =>
    eraseSubjects({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      portfolioId: input.portfolioId,
      subject: input.subject,
      requestedByUserId: ctx.principal.userId,
    }),
  );
