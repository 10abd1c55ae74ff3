// Following and controlling tasks (CTRL-001, ORCH-004, ORCH-006): thin, one use-case each. Every
// procedure names the venture, so the ladder authorizes against the venture's portfolio and the
// use-case refuses a task of another venture (NOT_FOUND).
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { locateTask } from "@/server/contexts/orchestration/api";
import { cancelTask } from "@/server/contexts/orchestration/cancel-task";
import { editTask } from "@/server/contexts/orchestration/edit-task";
import { getTask } from "@/server/contexts/orchestration/get-task";
import { getVentureDag } from "@/server/contexts/orchestration/get-venture-dag";
import { listEscalations } from "@/server/contexts/orchestration/list-escalations";
import { listTasks } from "@/server/contexts/orchestration/list-tasks";
import { pauseTask } from "@/server/contexts/orchestration/pause-task";
import { resumeTask } from "@/server/contexts/orchestration/resume-task";
import { retryTask } from "@/server/contexts/orchestration/retry-task";
import { taskStatuses } from "@/server/contexts/orchestration/task-rules";
import { portfolioProcedure, signedInProcedure } from "@/server/trpc/init";
import {
  cancelledOutput,
  changedOutput,
  dagOutput,
  escalationOutput,
  taskDetailOutput,
  taskOutput,
} from "./outputs";

const ventureId = z.string().min(1);
const taskId = z.string().min(1);
const reason = z.string().trim().max(500, "at most 500 characters").optional();

export const getVentureDagProcedure = portfolioProcedure("venture.read")
  .input(z.object({ ventureId }).strict())
  .output(dagOutput)
  .query(({ ctx, input }) => getVentureDag({ db: ctx.db, ventureId: input.ventureId }));

export const listTasksInput = z
  .object({
    ventureId,
    status: z.array(z.enum(taskStatuses)).max(10).optional(),
    workstreamId: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(2_000).optional(),
  })
  .strict();

export const listTasksProcedure = portfolioProcedure("venture.read")
  .input(listTasksInput)
  .output(z.array(taskOutput))
  .query(({ ctx, input }) =>
    listTasks({
      db: ctx.db,
      ventureId: input.ventureId,
      statuses: input.status,
      workstreamId: input.workstreamId,
      limit: input.limit,
    }),
  );

export const taskRefInput = z.object({ ventureId, taskId }).strict();

export const getTaskProcedure = portfolioProcedure("venture.read")
  .input(taskRefInput)
  .output(taskDetailOutput)
  .query(({ ctx, input }) => getTask({ db: ctx.db, ventureId: input.ventureId, taskId: input.taskId }));

export const taskControlInput = z.object({ ventureId, taskId, reason }).strict();

export const pauseTaskProcedure = portfolioProcedure("task.control")
  .input(taskControlInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    pauseTask({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const resumeTaskProcedure = portfolioProcedure("task.control")
  .input(taskControlInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    resumeTask({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const cancelTaskProcedure = portfolioProcedure("task.control")
  .input(taskControlInput)
  .output(cancelledOutput)
  .mutation(({ ctx, input }) =>
    cancelTask({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const retryTaskInput = z
  .object({
    ventureId,
    taskId,
    extraAttempts: z.number().int().min(1).max(10).optional(),
    note: z.string().max(500).optional(),
  })
  .strict();

export const retryTaskProcedure = portfolioProcedure("task.control")
  .input(retryTaskInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    retryTask({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const editTaskInput = z
  .object({
    ventureId,
    taskId,
    changes: z
      .object({
        title: z.string().trim().min(1).max(200).optional(),
        role: z.string().min(1).optional(),
        inputs: z.record(z.string(), z.unknown()).optional(),
        estimatedCostMinor: z
          .string()
          .regex(/^\d{1,18}$/, "an integer amount in minor units, as a string of digits")
          .optional(),
        priority: z.number().int().min(-1_000).max(1_000).optional(),
        retry: z
          .object({
            maxAttempts: z.number().int().min(1).max(20).optional(),
            backoffMs: z.number().int().min(0).max(3_600_000).optional(),
            backoffMaxMs: z.number().int().min(0).max(86_400_000).optional(),
            timeoutMs: z.number().int().min(100).max(86_400_000).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict();

export const editTaskProcedure = portfolioProcedure("task.control")
  .input(editTaskInput)
  .output(changedOutput)
  .mutation(({ ctx, input }) =>
    editTask({
      db: ctx.db,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ventureId: input.ventureId,
      taskId: input.taskId,
      changes: {
        ...input.changes,
        estimatedCostMinor:
          input.changes.estimatedCostMinor === undefined
            ? undefined
            : BigInt(input.changes.estimatedCostMinor),
      },
    }),
  );

export const listEscalationsProcedure = portfolioProcedure("venture.read")
  .input(
    z.object({ portfolioId: z.string().min(1), limit: z.number().int().min(1).max(200).optional() }).strict(),
  )
  .output(z.array(escalationOutput))
  .query(({ ctx, input }) =>
    listEscalations({ db: ctx.db, portfolioId: input.portfolioId, limit: input.limit }),
  );

/**
 * Which venture a task belongs to, for callers that know only the task id (the HTTP API's
 * /tasks/{id} routes). Answers only members of the task's portfolio; anyone else gets NOT_FOUND,
 * as for any other tenant's data. The procedures it leads to authorize again, by the venture.
 */
export const locateTaskProcedure = signedInProcedure
  .input(z.object({ taskId }).strict())
  .output(z.object({ taskId: z.string(), ventureId: z.string() }))
  .query(async ({ ctx, input }) => {
    const located = await locateTask(ctx.db, input.taskId);
    if (!located || !ctx.principal.memberships.some((m) => m.portfolioId === located.portfolioId)) {
      throw new TRPCError({ code: "NOT_FOUND", message: `Task ${input.taskId} not found` });
    }
    return { taskId: input.taskId, ventureId: located.ventureId };
  });
