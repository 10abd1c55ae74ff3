import { pause } from "@/server/contexts/control/api";
import { anyPortfolioRoleProcedure } from "@/server/trpc/init";
import { webControlFanout } from "./fanout";
import { controlChangeInput, controlChangeOutput } from "./schemas";

export const pauseProcedure = anyPortfolioRoleProcedure("control.pause")
  .input(controlChangeInput)
  .output(controlChangeOutput)
  .mutation(({ ctx, input }) =>
    pause({
      db: ctx.db,
      actor: ctx.actor,
      actorName: ctx.principal.name || ctx.principal.email,
      correlationId: ctx.correlationId,
      reason: input.reason,
      fanout: webControlFanout(),
    }),
  );
