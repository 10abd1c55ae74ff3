// Transitions several commands share, inside the caller's transaction: an attempt failed (retry
// or escalate, and replan a goal's workstream), dependents released when a task succeeds, tasks
// cancelled (with their dependents), and a workstream completed when nothing is left to do.
import type { Tx } from "@/server/shared/db";
import type { EventPayload } from "@/server/shared/events/catalog";
import { appendEvents, type CommandContext, type NewEvent } from "@/server/shared/events/store";
import { notifyScheduler, planTaskCreation } from "./create-tasks";
import { decideAttemptFailure } from "./task-rules";
import type { TaskSpec } from "./task-specs";
import { lockTasks, retryPolicyOf, saveTask, type TaskRow, taskStream, workstreamStream } from "./task-store";

/** How many times the L1 planner may replan one goal's workstream after failures. */
export const maxReplansPerWorkstream = 2;

export type AttemptFailure = {
  runId: string;
  cause: EventPayload<"orchestration.task_attempt_failed">["cause"];
  error: string;
  retryable: boolean;
};

function taskRef(task: TaskRow) {
  return { taskId: task.id, ventureId: task.ventureId, workstreamId: task.workstreamId };
}

/**
 * Records a failed attempt of the task's current run: back to retry_wait after the backoff, or
 * escalated to the founder's inbox when the policy is exhausted (and a replan for goals).
 * The caller has locked the task and checked that `failure.runId` is its current run.
 */
export async function failAttempt(
  tx: Tx,
  ctx: CommandContext,
  task: TaskRow,
  failure: AttemptFailure,
  now: Date,
): Promise<"retry" | "escalated"> {
  const decision = decideAttemptFailure(retryPolicyOf(task), task.attempt, failure.retryable, now);
  const error = failure.error.slice(0, 2_000);
  const events: NewEvent[] = [
    {
      type: "orchestration.task_attempt_failed",
      stream: taskStream(task.id),
      expectedVersion: task.version,
      portfolioId: task.portfolioId,
      payload: {
        ...taskRef(task),
        runId: failure.runId,
        attempt: Math.max(task.attempt, 1),
        cause: failure.cause,
        error,
        retryable: failure.retryable,
        nextAttemptAt: decision.kind === "retry" ? decision.nextAttemptAt.toISOString() : null,
      },
    },
  ];
  if (decision.kind === "escalate") {
    events.push({
      type: "orchestration.task_escalated",
      stream: taskStream(task.id),
      expectedVersion: task.version + 1,
      portfolioId: task.portfolioId,
      payload: { ...taskRef(task), attempts: task.attempt, reason: decision.reason, lastError: error },
    });
  }
  await appendEvents(tx, ctx, events);
  await saveTask(
    tx,
    task,
    task.version + events.length,
    {
      status: decision.kind === "retry" ? "retry_wait" : "escalated",
      nextAttemptAt: decision.kind === "retry" ? decision.nextAttemptAt : null,
      runId: null,
      leaseExpiresAt: null,
      lastError: error,
    },
    now,
  );
  if (decision.kind === "escalate") await maybeReplan(tx, ctx, task, error, now);
  else await notifyScheduler(tx);
  return decision.kind === "retry" ? "retry" : "escalated";
}

/**
 * AGENT-006 "replans on failure": when a work task of a goal's workstream fails for good, add an
 * L1 replan task to the workstream (at most maxReplansPerWorkstream times). The planner then adds
 * a replacement and moves the failed task's dependents onto it; the failed task stays in the
 * founder's escalation inbox.
 */
async function maybeReplan(
  tx: Tx,
  ctx: CommandContext,
  task: TaskRow,
  error: string,
  now: Date,
): Promise<void> {
  if (task.kind !== "work") return;
  const [workstream] = await tx.$queryRawUnsafe<
    Array<{
      id: string;
      origin: string;
      status: string;
      replans: number;
      version: number;
      goal: string | null;
    }>
  >(
    "SELECT id, origin, status, replans, version, goal FROM workstreams WHERE id = $1 FOR UPDATE",
    task.workstreamId,
  );
  if (workstream?.origin !== "goal" || workstream.status !== "active") return;
  if (workstream.replans >= maxReplansPerWorkstream) return;
  const spec: TaskSpec = {
    key: `replan-${workstream.replans + 1}-${task.key}`.slice(0, 64),
    title: `Replan after "${task.title}" failed`,
    role: "planner",
    level: "L1",
    inputs: {
      goal: workstream.goal,
      failedTaskId: task.id,
      failedTaskKey: task.key,
      failedTitle: task.title,
      failedRole: task.role,
      error,
    },
    dependsOn: [],
    estimatedCostMinor: 0n,
    spendCeilingMinor: 500n,
    priority: 100,
    retry: { maxAttempts: 2, backoffMs: 1_000, backoffMaxMs: 10_000, timeoutMs: 120_000, deadlineAt: null },
  };
  const created = planTaskCreation({
    workstream: { id: workstream.id, portfolioId: task.portfolioId, ventureId: task.ventureId },
    specs: [spec],
    kind: "replan",
  });
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.workstream_extended",
      stream: workstreamStream(workstream.id),
      expectedVersion: workstream.version,
      portfolioId: task.portfolioId,
      payload: {
        ventureId: task.ventureId,
        workstreamId: workstream.id,
        byTaskId: task.id,
        taskIds: [...created.idByKey.values()],
        rewired: [],
      },
    },
    ...created.events,
  ]);
  await tx.$executeRawUnsafe(
    "UPDATE workstreams SET replans = replans + 1, version = version + 1, updated_at = $2 WHERE id = $1",
    workstream.id,
    now,
  );
  await created.write(tx, now);
  await notifyScheduler(tx);
}

/**
 * A task succeeded: each dependent has one dependency fewer, and becomes ready at zero. The caller
 * wakes the scheduler (a completion frees a slot anyway).
 */
export async function releaseDependents(tx: Tx, task: TaskRow): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE tasks SET remaining_deps = remaining_deps - 1,
            status = CASE WHEN status = 'pending' AND remaining_deps = 1 THEN 'ready' ELSE status END
      WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on_id = $1)`,
    task.id,
  );
}

/**
 * Cancels tasks and, transitively, every task that depends on them (a task whose dependency was
 * cancelled can never run). Already finished tasks are left alone. Returns the cancelled ids.
 */
export async function cancelTasks(
  tx: Tx,
  ctx: CommandContext,
  roots: readonly string[],
  reason: string,
  now: Date,
): Promise<string[]> {
  const cascadedFrom = new Map<string, string | null>(roots.map((id) => [id, null]));
  let frontier = [...roots];
  while (frontier.length > 0) {
    const rows = await tx.$queryRawUnsafe<Array<{ task_id: string; depends_on_id: string }>>(
      "SELECT task_id, depends_on_id FROM task_dependencies WHERE depends_on_id = ANY($1::text[])",
      frontier,
    );
    frontier = [];
    for (const row of rows) {
      if (cascadedFrom.has(row.task_id)) continue;
      cascadedFrom.set(row.task_id, row.depends_on_id);
      frontier.push(row.task_id);
    }
  }
  const tasks = await lockTasks(tx, "id = ANY($1::text[])", [...cascadedFrom.keys()]);
  const events: NewEvent[] = [];
  const cancelled: TaskRow[] = [];
  for (const task of tasks) {
    if (task.status === "succeeded" || task.status === "cancelled") continue;
    events.push({
      type: "orchestration.task_cancelled",
      stream: taskStream(task.id),
      expectedVersion: task.version,
      portfolioId: task.portfolioId,
      payload: {
        ...taskRef(task),
        from: task.status,
        reason,
        cascadedFrom: cascadedFrom.get(task.id) ?? null,
      },
    });
    cancelled.push(task);
  }
  await appendEvents(tx, ctx, events);
  for (const task of cancelled) {
    await saveTask(
      tx,
      task,
      task.version + 1,
      { status: "cancelled", runId: null, leaseExpiresAt: null, nextAttemptAt: null, finishedAt: now },
      now,
    );
  }
  for (const workstreamId of new Set(cancelled.map((t) => t.workstreamId))) {
    await completeWorkstreamIfDone(tx, ctx, workstreamId, now);
  }
  if (cancelled.length > 0) await notifyScheduler(tx);
  return cancelled.map((t) => t.id);
}

/**
 * Appends workstream_completed once every task of an active workstream succeeded or was cancelled.
 * The first count takes no lock, so completions of one workstream do not queue on its row; two
 * last tasks finishing at once can each still see the other open, which the sweeper's periodic
 * check (completeFinishedWorkstreams) settles.
 */
export async function completeWorkstreamIfDone(
  tx: Tx,
  ctx: CommandContext,
  workstreamId: string,
  now: Date,
): Promise<boolean> {
  // A probe on tasks_open_by_workstream_idx first: cheap however large the workstream.
  const [open] = await tx.$queryRawUnsafe<Array<{ open: boolean }>>(
    `SELECT EXISTS (SELECT 1 FROM tasks WHERE workstream_id = $1 AND status NOT IN ('succeeded', 'cancelled')) AS open`,
    workstreamId,
  );
  if (open?.open) return false;
  const [locked] = await tx.$queryRawUnsafe<
    Array<{ status: string; version: number; portfolio_id: string; venture_id: string }>
  >(
    "SELECT status, version, portfolio_id, venture_id FROM workstreams WHERE id = $1 FOR UPDATE",
    workstreamId,
  );
  if (locked?.status !== "active") return false;
  const [row] = await tx.$queryRawUnsafe<Array<{ open: number; succeeded: number; cancelled: number }>>(
    `SELECT count(*) FILTER (WHERE status NOT IN ('succeeded', 'cancelled'))::int AS open,
            count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
       FROM tasks WHERE workstream_id = $1`,
    workstreamId,
  );
  if (!row || row.open > 0) return false;
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.workstream_completed",
      stream: workstreamStream(workstreamId),
      expectedVersion: locked.version,
      portfolioId: locked.portfolio_id,
      payload: {
        ventureId: locked.venture_id,
        workstreamId,
        succeeded: row.succeeded,
        cancelled: row.cancelled,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    "UPDATE workstreams SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1",
    workstreamId,
    row.succeeded === 0 ? "cancelled" : "completed",
    now,
  );
  return true;
}
