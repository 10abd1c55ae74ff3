// Venture management procedures (ORCH-001, ORCH-005, ORCH-006): thin, one use-case each.
import { z } from "zod";
import { changeVentureStage } from "@/server/contexts/orchestration/change-venture-stage";
import { pauseVenture, resumeVenture } from "@/server/contexts/orchestration/pause-venture";
import { setVentureLimits } from "@/server/contexts/orchestration/set-venture-limits";
import { updateVenture } from "@/server/contexts/orchestration/update-venture";
import { ventureStages } from "@/server/shared/events/catalog/orchestration";
import { portfolioProcedure } from "@/server/trpc/init";
import { changedOutput } from "./outputs";
import { ventureOutput } from "./venture-output";

const ventureId = z.string().min(1);
const reason = z.string().trim().max(500, "at most 500 characters").optional();

export const updateVentureInput = z
  .object({
    ventureId,
    name: z.string().trim().min(2, "at least 2 characters").max(80, "at most 80 characters").optional(),
    goal: z.string().trim().max(2_000, "at most 2000 characters").nullish(),
  })
  .strict();

export const updateVentureProcedure = portfolioProcedure("venture.manage")
  .input(updateVentureInput)
  .output(ventureOutput)
  .mutation(({ ctx, input }) =>
    updateVenture({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ventureId: input.ventureId,
      name: input.name,
      goal: input.goal,
    }),
  );

export const changeVentureStageInput = z.object({ ventureId, stage: z.enum(ventureStages), reason }).strict();

export const changeVentureStageProcedure = portfolioProcedure("venture.manage")
  .input(changeVentureStageInput)
  .output(ventureOutput)
  .mutation(({ ctx, input }) =>
    changeVentureStage({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ventureId: input.ventureId,
      stage: input.stage,
      reason: input.reason,
    }),
  );

export const setVentureLimitsInput = z
  .object({
    ventureId,
    concurrencyLimit: z.number().int().min(0, "at least 0").max(1_000, "at most 1000"),
    weight: z.number().int().min(1, "at least 1").max(1_000, "at most 1000"),
  })
  .strict();

export const setVentureLimitsProcedure = portfolioProcedure("venture.manage")
  .input(setVentureLimitsInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    setVentureLimits({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const ventureControlInput = z.object({ ventureId, reason }).strict();

export const pauseVentureProcedure = portfolioProcedure("task.control")
  .input(ventureControlInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    pauseVenture({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const resumeVentureProcedure = portfolioProcedure("task.control")
  .input(ventureControlInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    resumeVenture({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );
