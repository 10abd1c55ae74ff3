import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { getVenture } from "@/server/contexts/orchestration/get-venture";
import { portfolioProcedure } from "@/server/trpc/init";
import { ventureOutput } from "./venture-output";

export const getVentureInput = z.object({ ventureId: z.string().min(1) }).strict();

export const getVentureProcedure = portfolioProcedure("venture.read")
  .input(getVentureInput)
  .output(ventureOutput)
  .query(async ({ ctx, input }) => {
    const venture = await getVenture({ db: ctx.db, ventureId: input.ventureId });
    if (!venture) throw new TRPCError({ code: "NOT_FOUND", message: `Venture ${input.ventureId} not found` });
    return venture;
  });
