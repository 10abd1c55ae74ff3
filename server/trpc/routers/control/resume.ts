import { resume } from "@/server/contexts/control/api";
import { anyPortfolioRoleProcedure } from "@/server/trpc/init";
import { webControlFanout } from "./fanout";
import { controlChangeInput, controlChangeOutput } from "./schemas";

export const resumeProcedure = anyPortfolioRoleProcedure("control.resume")
  .input(controlChangeInput)
  .output(controlChangeOutput)
  .mutation(({ ctx, input }) =>
    resume({
      db: ctx.db,
      actor: ctx.actor,
      actorName: ctx.principal.name || ctx.principal.email,
      correlationId: ctx.correlationId,
      reason: input.reason,
      fanout: webControlFanout(),
    }),
  );
