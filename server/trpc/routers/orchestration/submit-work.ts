// Submitting work (CTRL-001): a goal for the L1 planner, or a DAG of tasks.
import { z } from "zod";
import { submitGoal } from "@/server/contexts/orchestration/submit-goal";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { taskSpecSchema } from "@/server/contexts/orchestration/task-specs";
import { portfolioProcedure } from "@/server/trpc/init";
import { submittedOutput } from "./outputs";

export const submitGoalInput = z
  .object({
    ventureId: z.string().min(1),
    goal: z.string().trim().min(3, "at least 3 characters").max(2_000, "at most 2000 characters"),
  })
  .strict();

export const submitGoalProcedure = portfolioProcedure("task.submit")
  .input(submitGoalInput)
  .output(submittedOutput.extend({ planTaskId: z.string() }))
  .mutation(({ ctx, input }) =>
    submitGoal({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ventureId: input.ventureId,
      goal: input.goal,
    }),
  );

export const submitWorkstreamInput = z
  .object({
    ventureId: z.string().min(1),
    title: z.string().trim().min(1, "required").max(200, "at most 200 characters"),
    tasks: z.array(taskSpecSchema).min(1, "at least one task").max(5_000, "at most 5000 tasks"),
  })
  .strict();

export const submitWorkstreamProcedure = portfolioProcedure("task.submit")
  .input(submitWorkstreamInput)
  .output(submittedOutput)
  .mutation(({ ctx, input }) =>
    submitWorkstream({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ventureId: input.ventureId,
      title: input.title,
      tasks: input.tasks,
    }),
  );
