import { z } from "zod";
import { evidencePackFile } from "@/server/contexts/compliance/evidence-packs";
import { roleAllows } from "@/server/contexts/identity/roles";
import { portfolioProcedure } from "@/server/trpc/init";
import { portfolioInput } from "./inputs";
import { fileDownloadOutput } from "./outputs";

export const evidencePackFileInput = z.object({ ...portfolioInput, packId: z.string().min(1) }).strict();

/**
 * The archive of a ready pack, for the download routes (the HTTP API and the auditor pages stream
 * it). The caller must be allowed to export in every portfolio the pack covers.
 */
export const evidencePackFileProcedure = portfolioProcedure("audit.export")
  .input(evidencePackFileInput)
  .output(fileDownloadOutput)
  .query(({ ctx, input }) =>
    evidencePackFile({
      db: ctx.db,
      portfolioId: input.portfolioId,
      packId: input.packId,
      exportablePortfolios: ctx.principal.memberships
        .filter((m) => roleAllows(m.role, "audit.export"))
        .map((m) => m.portfolioId),
    }),
  );
