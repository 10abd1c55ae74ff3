import { z } from "zod";
import { changeFindingStatus } from "@/server/contexts/compliance/findings";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { findingOutput } from "./outputs";

export const updateFindingInput = z
  .object({
    ...portfolioInput,
    findingId: z.string().min(1),
    status: z.enum(["open", "acknowledged", "resolved"]),
    /** Why; required when resolving. */
    note: z.string().max(2_000).nullable().optional(),
    /** A new owner (a person or a role); absent keeps the current one. */
    owner: z.string().max(200).nullable().optional(),
  })
  .strict();

/** Acknowledge, resolve (with a note) or reopen a finding (auditor or admin). */
export const updateFindingProcedure = portfolioProcedure("finding.manage")
  .input(updateFindingInput)
  .output(findingOutput)
  .mutation(({ ctx, input }) =>
    changeFindingStatus({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      portfolioId: input.portfolioId,
      findingId: input.findingId,
      status: input.status,
      note: input.note ?? null,
      owner: input.owner,
    }),
  );
