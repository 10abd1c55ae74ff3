import { z } from "zod";
import { searchAuditEvents } from "@/server/contexts/compliance/audit-log";
import { portfolioProcedure } from "@/server/trpc/init";
import { isoInstant, portfolioInput } from "./inputs";
import { auditEventSummaryOutput } from "./outputs";

const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`).optional();

export const searchEventsInput = z
  .object({
    ...portfolioInput,
    type: text(120),
    actor: text(120),
    ventureId: text(64),
    streamId: text(120),
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    text: text(200),
    beforeSequence: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(200).optional(),
  })
  .strict();

export const searchEventsProcedure = portfolioProcedure("audit.read")
  .input(searchEventsInput)
  .output(
    z.object({
      events: z.array(auditEventSummaryOutput),
      nextBeforeSequence: z.number().int().nullable(),
      headSequence: z.number().int(),
    }),
  )
  .query(({ ctx, input }) => {
    const { portfolioId, beforeSequence, limit, ...filters } = input;
    // Empty filter fields from a form mean "any".
    const given = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== ""));
    return searchAuditEvents({ db: ctx.db, portfolioId, filters: given, beforeSequence, limit });
  });
