// Pause, resume and cancel a whole workstream (ORCH-006).
import { z } from "zod";
import { cancelWorkstream } from "@/server/contexts/orchestration/cancel-workstream";
import { pauseWorkstream, resumeWorkstream } from "@/server/contexts/orchestration/pause-workstream";
import { portfolioProcedure } from "@/server/trpc/init";
import { cancelledOutput, changedOutput } from "./outputs";

export const workstreamControlInput = z
  .object({
    ventureId: z.string().min(1),
    workstreamId: z.string().min(1),
    reason: z.string().trim().max(500).optional(),
  })
  .strict();

export const pauseWorkstreamProcedure = portfolioProcedure("task.control")
  .input(workstreamControlInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    pauseWorkstream({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const resumeWorkstreamProcedure = portfolioProcedure("task.control")
  .input(workstreamControlInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    resumeWorkstream({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const cancelWorkstreamProcedure = portfolioProcedure("task.control")
  .input(workstreamControlInput)
  .output(cancelledOutput)
  .mutation(({ ctx, input }) =>
    cancelWorkstream({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );
