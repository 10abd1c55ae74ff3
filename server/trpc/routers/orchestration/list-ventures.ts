import { z } from "zod";
import { listVentures } from "@/server/contexts/orchestration/list-ventures";
import { portfolioProcedure } from "@/server/trpc/init";
import { ventureOutput } from "./venture-output";

export const listVenturesInput = z
  .object({ portfolioId: z.string().min(1), limit: z.number().int().min(1).max(500).optional() })
  .strict();

export const listVenturesProcedure = portfolioProcedure("venture.read")
  .input(listVenturesInput)
  .output(z.array(ventureOutput))
  .query(({ ctx, input }) =>
    listVentures({ db: ctx.db, portfolioId: input.portfolioId, limit: input.limit }),
  );
