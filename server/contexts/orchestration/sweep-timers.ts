import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { lockTask, saveTask, taskStream } from "./task-store";
import { completeWorkstreamIfDone, failAttempt } from "./task-transitions";

export type SweepResult = {
  leasesExpired: number;
  dispatchesExpired: number;
  deadlinesPassed: number;
  workstreamsCompleted: number;
};

/**
 * The orchestrator's timers, all kept as columns in PostgreSQL so that a restarted orchestrator
 * finds them (ORCH-002, ORCH-004):
 * - a running task whose lease expired lost its agent (crash, partition): the attempt failed;
 * - a dispatched task no agent started within dispatchTimeoutMs: the attempt failed;
 * - a task still waiting when its deadline passes is escalated;
 * - a workstream whose tasks all finished is completed (settles races between last completions).
 * Retry backoff needs no sweep: the dispatch pass picks retry_wait tasks whose time has come.
 * Each task is handled in its own transaction, locked and re-checked, so several orchestrators
 * may sweep at once.
 */
export async function sweepTimers(options: {
  db: Db;
  clock?: Clock;
  dispatchTimeoutMs: number;
  batch?: number;
  actor?: EventActor;
}): Promise<SweepResult> {
  const clock = options.clock ?? systemClock;
  const actor = options.actor ?? { type: "worker", id: "orchestrator" };
  const batch = options.batch ?? 200;
  const now = clock.now();
  const result: SweepResult = {
    leasesExpired: 0,
    dispatchesExpired: 0,
    deadlinesPassed: 0,
    workstreamsCompleted: 0,
  };

  const due = await options.db.$queryRawUnsafe<Array<{ id: string; kind: string; correlation_id: string }>>(
    `(SELECT t.id, 'lease' AS kind, w.correlation_id FROM tasks t JOIN workstreams w ON w.id = t.workstream_id
       WHERE t.status = 'running' AND t.lease_expires_at < $1 LIMIT $3)
     UNION ALL
     (SELECT t.id, 'dispatch' AS kind, w.correlation_id FROM tasks t JOIN workstreams w ON w.id = t.workstream_id
       WHERE t.status = 'dispatched' AND t.dispatched_at < $2 LIMIT $3)
     UNION ALL
     (SELECT t.id, 'deadline' AS kind, w.correlation_id FROM tasks t JOIN workstreams w ON w.id = t.workstream_id
       WHERE t.status IN ('pending', 'ready', 'waiting_budget', 'retry_wait') AND t.deadline_at < $1 LIMIT $3)`,
    now,
    new Date(now.getTime() - options.dispatchTimeoutMs),
    batch,
  );
  for (const item of due) {
    const ctx = { actor, correlationId: item.correlation_id, clock };
    const outcome = await withTransaction(options.db, async (tx) => {
      const task = await lockTask(tx, item.id);
      if (!task) return false;
      const at = clock.now();
      if (item.kind === "lease") {
        if (task.status !== "running" || !task.leaseExpiresAt || task.leaseExpiresAt >= at) return false;
        await failAttempt(
          tx,
          ctx,
          task,
          {
            runId: task.runId!,
            cause: "lease_expired",
            error: `The agent running attempt ${task.attempt} stopped renewing its lease (last until ${task.leaseExpiresAt.toISOString()})`,
            retryable: true,
          },
          at,
        );
        return true;
      }
      if (item.kind === "dispatch") {
        if (task.status !== "dispatched" || !task.dispatchedAt) return false;
        if (task.dispatchedAt.getTime() >= at.getTime() - options.dispatchTimeoutMs) return false;
        await failAttempt(
          tx,
          ctx,
          task,
          {
            runId: task.runId!,
            cause: "dispatch_expired",
            error: `No agent started attempt ${task.attempt} within ${options.dispatchTimeoutMs} ms of dispatch`,
            retryable: true,
          },
          at,
        );
        return true;
      }
      if (!["pending", "ready", "waiting_budget", "retry_wait"].includes(task.status)) return false;
      if (!task.deadlineAt || task.deadlineAt >= at) return false;
      await appendEvents(tx, ctx, [
        {
          type: "orchestration.task_escalated",
          stream: taskStream(task.id),
          expectedVersion: task.version,
          portfolioId: task.portfolioId,
          payload: {
            taskId: task.id,
            ventureId: task.ventureId,
            workstreamId: task.workstreamId,
            attempts: task.attempt,
            reason: `the deadline ${task.deadlineAt.toISOString()} passed before the task could finish`,
            lastError: task.lastError ?? "",
          },
        },
      ]);
      await saveTask(tx, task, task.version + 1, { status: "escalated", nextAttemptAt: null }, at);
      return true;
    });
    if (!outcome) continue;
    if (item.kind === "lease") result.leasesExpired++;
    else if (item.kind === "dispatch") result.dispatchesExpired++;
    else result.deadlinesPassed++;
  }

  const finished = await options.db.$queryRawUnsafe<Array<{ id: string; correlation_id: string }>>(
    `SELECT w.id, w.correlation_id FROM workstreams w
      WHERE w.status = 'active'
        AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.workstream_id = w.id AND t.status NOT IN ('succeeded', 'cancelled'))
      LIMIT $1`,
    batch,
  );
  for (const workstream of finished) {
    const completed = await withTransaction(options.db, (tx) =>
      completeWorkstreamIfDone(
        tx,
        { actor, correlationId: workstream.correlation_id, clock },
        workstream.id,
        clock.now(),
      ),
    );
    if (completed) result.workstreamsCompleted++;
  }
  return result;
}
