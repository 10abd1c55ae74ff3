import { AppError } from "@/server/shared/errors";
import { appendEvents } from "@/server/shared/events/store";
import { notifyScheduler } from "./create-tasks";
import { runTaskCommand, type TaskCommandOptions } from "./task-command";
import { decideFounderRetry } from "./task-rules";
import { saveTask, taskStream } from "./task-store";

/**
 * The founder retries an escalated task from the escalation inbox (ORCH-004): it gets
 * `extraAttempts` more attempts and goes back to the scheduler. A task already on its way again
 * needs nothing; a finished task cannot be retried.
 */
export async function retryTask(
  options: TaskCommandOptions & { extraAttempts?: number; note?: string },
): Promise<{ changed: boolean }> {
  const extraAttempts = options.extraAttempts ?? 1;
  if (!Number.isInteger(extraAttempts) || extraAttempts < 1 || extraAttempts > 10) {
    throw new AppError("BAD_REQUEST", "extraAttempts must be 1 to 10", {
      fields: { extraAttempts: "1 to 10" },
    });
  }
  return runTaskCommand(options, async (tx, task, ctx, now) => {
    const decision = decideFounderRetry(task.id, task.status, task.remainingDeps);
    if (!decision) return { changed: false };
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.task_retried",
        stream: taskStream(task.id),
        expectedVersion: task.version,
        portfolioId: task.portfolioId,
        payload: {
          taskId: task.id,
          ventureId: task.ventureId,
          workstreamId: task.workstreamId,
          extraAttempts,
          note: (options.note ?? "").slice(0, 500),
        },
      },
    ]);
    await saveTask(
      tx,
      task,
      task.version + 1,
      {
        status: decision.to,
        maxAttempts: Math.min(task.attempt + extraAttempts, 50),
        nextAttemptAt: null,
        // A deadline that has passed would escalate the task again at once; the retry lifts it.
        deadlineAt: task.deadlineAt && task.deadlineAt <= now ? null : task.deadlineAt,
      },
      now,
    );
    await notifyScheduler(tx);
    return { changed: true };
  });
}
