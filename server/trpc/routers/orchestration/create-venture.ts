import { z } from "zod";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { portfolioProcedure } from "@/server/trpc/init";
import { ventureOutput } from "./venture-output";

export const createVentureInput = z
  .object({
    portfolioId: z.string().min(1),
    name: z.string().trim().min(2, "at least 2 characters").max(80, "at most 80 characters"),
    goal: z.string().trim().max(2_000, "at most 2000 characters").nullish(),
  })
  .strict();

export const createVentureProcedure = portfolioProcedure("venture.create")
  .input(createVentureInput)
  .output(ventureOutput)
  .mutation(({ ctx, input }) =>
    createVenture({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      portfolioId: input.portfolioId,
      name: input.name,
      goal: input.goal ?? null,
    }),
  );
