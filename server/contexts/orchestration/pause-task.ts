import { appendEvents } from "@/server/shared/events/store";
import { parseReason, runTaskCommand, type TaskCommandOptions } from "./task-command";
import { activeRunStatuses, decidePause } from "./task-rules";
import { saveTask, taskStream } from "./task-store";

/**
 * Pauses one task (ORCH-006). A dispatched or running task's run is revoked at once: its agent
 * stops at its next lease renewal and its late result is ignored; the attempt is not counted.
 * Pausing a paused task changes nothing.
 */
export async function pauseTask(
  options: TaskCommandOptions & { reason?: string },
): Promise<{ changed: boolean }> {
  const reason = parseReason(options.reason, "paused by the founder");
  return runTaskCommand(options, async (tx, task, ctx, now) => {
    const decision = decidePause(task.id, task.status);
    if (!decision) return { changed: false };
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.task_paused",
        stream: taskStream(task.id),
        expectedVersion: task.version,
        portfolioId: task.portfolioId,
        payload: {
          taskId: task.id,
          ventureId: task.ventureId,
          workstreamId: task.workstreamId,
          from: decision.from,
          reason,
        },
      },
    ]);
    const hadRun = activeRunStatuses.has(task.status);
    await saveTask(
      tx,
      task,
      task.version + 1,
      {
        status: "paused",
        pausedFrom: decision.from,
        ...(hadRun
          ? { runId: null, leaseExpiresAt: null, startedAt: null, attempt: Math.max(task.attempt - 1, 0) }
          : {}),
      },
      now,
    );
    return { changed: true };
  });
}
