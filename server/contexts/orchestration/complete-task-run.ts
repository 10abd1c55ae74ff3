import { systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { appendEvents, type CommandContext, type NewEvent } from "@/server/shared/events/store";
import { notifyScheduler, planTaskCreation } from "./create-tasks";
import { normalizeTaskSpecs, type TaskSpecInput } from "./task-specs";
import { lockTask, saveTask, type TaskRow, taskStream, workstreamStream } from "./task-store";
import { completeWorkstreamIfDone, releaseDependents } from "./task-transitions";

/** What the L1 planner adds to its workstream (AGENT-006). */
export type PlanExtension = {
  tasks: TaskSpecInput[];
  /** Replan: move the dependents of a task that failed for good onto the new task with this key. */
  replaces?: { taskId: string; withKey: string } | null;
};

export type RunOutcome = {
  summary: string;
  output: Record<string, unknown>;
  costMinor: bigint;
  inputTokens: number;
  outputTokens: number;
  plan?: PlanExtension | null;
};

/**
 * The agent's result for its run (task_succeeded), through the same command path as everything
 * else. Exactly once: only the current run of a running task may complete it, so a duplicate or
 * late result (a run that was lost and retried) is "stale" and changes nothing. A planner's plan is
 * validated as a DAG against the workstream and written in the same transaction; an invalid plan
 * is a BAD_REQUEST and nothing is written (the runtime then fails the attempt with the reason).
 */
export async function completeTaskRun(options: {
  db: Db;
  ctx: CommandContext;
  taskId: string;
  runId: string;
  outcome: RunOutcome;
}): Promise<"completed" | "stale"> {
  const now = (options.ctx.clock ?? systemClock).now();
  return withTransaction(options.db, async (tx) => {
    const task = await lockTask(tx, options.taskId);
    if (!task || task.runId !== options.runId || task.status !== "running") return "stale";
    const { outcome } = options;
    const events: NewEvent[] = [
      {
        type: "orchestration.task_succeeded",
        stream: taskStream(task.id),
        expectedVersion: task.version,
        portfolioId: task.portfolioId,
        payload: {
          taskId: task.id,
          ventureId: task.ventureId,
          workstreamId: task.workstreamId,
          runId: options.runId,
          attempt: task.attempt,
          summary: outcome.summary.slice(0, 4_000),
          output: outcome.output,
          costMinor: outcome.costMinor.toString(),
          inputTokens: outcome.inputTokens,
          outputTokens: outcome.outputTokens,
        },
      },
    ];
    const extension = outcome.plan ? await planExtension(tx, task, outcome.plan, now) : null;
    if (extension) events.push(...extension.events);
    await appendEvents(tx, options.ctx, events);
    await saveTask(
      tx,
      task,
      task.version + 1,
      {
        status: "succeeded",
        finishedAt: now,
        leaseExpiresAt: null,
        result: { summary: outcome.summary.slice(0, 4_000), output: outcome.output },
        costMinor: task.costMinor + outcome.costMinor,
        inputTokens: task.inputTokens + outcome.inputTokens,
        outputTokens: task.outputTokens + outcome.outputTokens,
        lastError: null,
      },
      now,
    );
    if (extension) await extension.write(tx, now);
    await releaseDependents(tx, task);
    await completeWorkstreamIfDone(tx, options.ctx, task.workstreamId, now);
    await notifyScheduler(tx);
    return "completed";
  });
}

/** The events and writes that add a plan's tasks to the planner task's workstream. */
async function planExtension(tx: Tx, planner: TaskRow, plan: PlanExtension, now: Date) {
  const existing = await tx.$queryRawUnsafe<Array<{ id: string; status: string }>>(
    "SELECT id, status FROM tasks WHERE workstream_id = $1",
    planner.workstreamId,
  );
  const specs = normalizeTaskSpecs(plan.tasks, {
    existing: new Set(existing.map((t) => t.id)),
    field: "plan.tasks",
    now,
  });
  const succeeded = new Set(existing.filter((t) => t.status === "succeeded").map((t) => t.id));
  succeeded.add(planner.id);
  const [workstream] = await tx.$queryRawUnsafe<Array<{ version: number }>>(
    "SELECT version FROM workstreams WHERE id = $1 FOR UPDATE",
    planner.workstreamId,
  );
  const created = planTaskCreation({
    workstream: { id: planner.workstreamId, portfolioId: planner.portfolioId, ventureId: planner.ventureId },
    specs,
    kind: "work",
    succeededExisting: succeeded,
  });
  const rewired: Array<{
    taskId: string;
    from: string;
    to: string;
    dependsOn: string[];
    version: number;
    portfolioId: string;
  }> = [];
  if (plan.replaces) {
    const to = created.idByKey.get(plan.replaces.withKey);
    if (!to || !existing.some((t) => t.id === plan.replaces!.taskId)) {
      throw new AppError(
        "BAD_REQUEST",
        "The replan must name a failed task of this workstream and one of its new keys",
        {
          fields: { "plan.replaces": "a task of this workstream and a key of the plan" },
        },
      );
    }
    const dependents = await tx.$queryRawUnsafe<
      Array<{ id: string; version: number; portfolio_id: string; status: string }>
    >(
      `SELECT t.id, t.version, t.portfolio_id, t.status FROM tasks t JOIN task_dependencies d ON d.task_id = t.id
        WHERE d.depends_on_id = $1 AND t.status NOT IN ('succeeded', 'cancelled') ORDER BY t.id FOR UPDATE OF t`,
      plan.replaces.taskId,
    );
    for (const dependent of dependents) {
      const deps = await tx.$queryRawUnsafe<Array<{ depends_on_id: string }>>(
        "SELECT depends_on_id FROM task_dependencies WHERE task_id = $1",
        dependent.id,
      );
      rewired.push({
        taskId: dependent.id,
        from: plan.replaces.taskId,
        to,
        dependsOn: deps.map((d) => (d.depends_on_id === plan.replaces!.taskId ? to : d.depends_on_id)),
        version: dependent.version,
        portfolioId: dependent.portfolio_id,
      });
    }
  }
  const events: NewEvent[] = [
    {
      type: "orchestration.workstream_extended",
      stream: workstreamStream(planner.workstreamId),
      expectedVersion: workstream!.version,
      portfolioId: planner.portfolioId,
      payload: {
        ventureId: planner.ventureId,
        workstreamId: planner.workstreamId,
        byTaskId: planner.id,
        taskIds: [...created.idByKey.values()],
        rewired: rewired.map((r) => ({ taskId: r.taskId, from: r.from, to: r.to })),
      },
    },
    ...created.events,
    ...rewired.map(
      (r): NewEvent => ({
        type: "orchestration.task_dependencies_changed",
        stream: taskStream(r.taskId),
        expectedVersion: r.version,
        portfolioId: r.portfolioId,
        payload: {
          taskId: r.taskId,
          ventureId: planner.ventureId,
          workstreamId: planner.workstreamId,
          dependsOn: r.dependsOn,
          reason: `replanned: ${r.from} replaced by ${r.to}`,
        },
      }),
    ),
  ];
  return {
    events,
    async write(tx2: Tx, at: Date) {
      await tx2.$executeRawUnsafe(
        "UPDATE workstreams SET version = version + 1, updated_at = $2 WHERE id = $1",
        planner.workstreamId,
        at,
      );
      await created.write(tx2, at);
      for (const r of rewired) {
        await tx2.$executeRawUnsafe(
          "UPDATE task_dependencies SET depends_on_id = $3 WHERE task_id = $1 AND depends_on_id = $2",
          r.taskId,
          r.from,
          r.to,
        );
        // The replacement is new, so it has not succeeded: the dependent still waits for one task.
        await tx2.$executeRawUnsafe(
          `UPDATE tasks SET version = version + 1, updated_at = $2,
                  remaining_deps = (SELECT count(*) FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on_id
                                     WHERE d.task_id = $1 AND x.status <> 'succeeded')
            WHERE id = $1`,
          r.taskId,
          at,
        );
      }
    },
  };
}
