import { z } from "zod";
import { getAuditEvent } from "@/server/contexts/compliance/audit-log";
import { roleAllows } from "@/server/contexts/identity/roles";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { auditEventDetailOutput } from "./outputs";

export const getEventInput = z.object({ ...portfolioInput, sequence: z.number().int().positive() }).strict();

export const getEventProcedure = portfolioProcedure("audit.read")
  .input(getEventInput)
  .output(auditEventDetailOutput)
  .query(({ ctx, input }) =>
    getAuditEvent({
      db: ctx.db,
      portfolioId: input.portfolioId,
      sequence: input.sequence,
      revealPersonalData: roleAllows(ctx.role, "personal_data.read"),
    }),
  );
