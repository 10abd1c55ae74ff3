import { lockControlState } from "@/server/contexts/control/api";
import type { Tx } from "@/server/shared/db";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { notifyScheduler } from "./create-tasks";
import { lockTask, saveTask, type TaskRow, taskStream } from "./task-store";

/** What an agent needs to run a task: the task, its venture and what its dependencies produced. */
export type TaskRunContext = {
  task: TaskRow;
  runId: string;
  attempt: number;
  leaseExpiresAt: Date;
  venture: { id: string; portfolioId: string; name: string; goal: string | null; currency: string };
  workstream: { id: string; title: string; goal: string | null };
  dependencies: Array<{ taskId: string; key: string; title: string; role: string; summary: string }>;
};

export type StartResult =
  | { kind: "started"; run: TaskRunContext }
  | { kind: "stale"; reason: string }
  | { kind: "aborted"; reason: string };

/**
 * The agent runtime claims a dispatched run (task_started, a lease). Runs inside the consumer
 * harness's transaction, so the inbox row and the claim commit together: a message delivered twice
 * starts the run once. A message for a run that is no longer current (paused, cancelled, lost and
 * re-dispatched) is stale and does nothing; a run whose venture, workstream or the whole system
 * was paused after dispatch is aborted before it starts, without counting the attempt.
 */
export async function startTaskRun(
  tx: Tx,
  ctx: CommandContext,
  options: { taskId: string; runId: string; worker: string; leaseMs: number; now: Date },
): Promise<StartResult> {
  const task = await lockTask(tx, options.taskId);
  if (!task) return { kind: "stale", reason: `task ${options.taskId} does not exist` };
  if (task.runId !== options.runId || task.status !== "dispatched") {
    return { kind: "stale", reason: `run ${options.runId} is not current (task is ${task.status})` };
  }
  // The venture, the workstream and what the task's dependencies produced, in one round trip.
  const [scope] = await tx.$queryRawUnsafe<
    Array<{
      name: string;
      goal: string | null;
      currency: string;
      venture_paused: boolean;
      ws_title: string;
      ws_goal: string | null;
      ws_paused: boolean;
      dependencies: TaskRunContext["dependencies"];
    }>
  >(
    `SELECT v.name, v.goal, v.currency, v.paused AS venture_paused, w.title AS ws_title, w.goal AS ws_goal,
            w.paused AS ws_paused,
            (SELECT coalesce(json_agg(json_build_object('taskId', t.id, 'key', t.key, 'title', t.title, 'role', t.role,
                                                        'summary', coalesce(t.result->>'summary', ''))
                                      ORDER BY t.created_at), '[]'::json)
               FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id WHERE d.task_id = $3) AS dependencies
       FROM ventures v JOIN workstreams w ON w.venture_id = v.id WHERE v.id = $1 AND w.id = $2`,
    task.ventureId,
    task.workstreamId,
    task.id,
  );
  const control = await lockControlState(tx);
  const pausedBy =
    control.state === "paused"
      ? "the kill-switch is engaged"
      : scope?.venture_paused
        ? "the venture is paused"
        : scope?.ws_paused
          ? "the workstream is paused"
          : null;
  if (!scope || pausedBy) {
    const reason = pausedBy ?? "the venture or workstream is gone";
    await abortRun(tx, ctx, task, options.runId, reason, options.now);
    return { kind: "aborted", reason };
  }
  const leaseExpiresAt = new Date(options.now.getTime() + options.leaseMs);
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.task_started",
      stream: taskStream(task.id),
      expectedVersion: task.version,
      portfolioId: task.portfolioId,
      payload: {
        taskId: task.id,
        ventureId: task.ventureId,
        workstreamId: task.workstreamId,
        runId: options.runId,
        attempt: task.attempt,
        worker: options.worker,
        leaseExpiresAt: leaseExpiresAt.toISOString(),
      },
    },
  ]);
  await saveTask(
    tx,
    task,
    task.version + 1,
    { status: "running", startedAt: options.now, leaseExpiresAt },
    options.now,
  );
  return {
    kind: "started",
    run: {
      task,
      runId: options.runId,
      attempt: task.attempt,
      leaseExpiresAt,
      venture: {
        id: task.ventureId,
        portfolioId: task.portfolioId,
        name: scope.name,
        goal: scope.goal,
        currency: scope.currency,
      },
      workstream: { id: task.workstreamId, title: scope.ws_title, goal: scope.ws_goal },
      dependencies: scope.dependencies,
    },
  };
}

/**
 * Stops the task's current run without counting the attempt (task_run_aborted): the task goes back
 * to ready (or pending) for the scheduler, which dispatches it again once nothing is paused.
 */
export async function abortRun(
  tx: Tx,
  ctx: CommandContext,
  task: TaskRow,
  runId: string,
  reason: string,
  now: Date,
): Promise<void> {
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.task_run_aborted",
      stream: taskStream(task.id),
      expectedVersion: task.version,
      portfolioId: task.portfolioId,
      payload: {
        taskId: task.id,
        ventureId: task.ventureId,
        workstreamId: task.workstreamId,
        runId,
        attempt: Math.max(task.attempt, 1),
        reason,
      },
    },
  ]);
  await saveTask(
    tx,
    task,
    task.version + 1,
    {
      status: task.remainingDeps > 0 ? "pending" : "ready",
      attempt: Math.max(task.attempt - 1, 0),
      runId: null,
      leaseExpiresAt: null,
      startedAt: null,
    },
    now,
  );
  await notifyScheduler(tx);
}
