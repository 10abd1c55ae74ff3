import { appendEvents } from "@/server/shared/events/store";
import { notifyScheduler } from "./create-tasks";
import { parseReason, runTaskCommand, type TaskCommandOptions } from "./task-command";
import { resumeTarget } from "./task-rules";
import { saveTask, taskStream } from "./task-store";

/** Resumes a paused task where it left off (ORCH-006); a task that is not paused is left alone. */
export async function resumeTask(
  options: TaskCommandOptions & { reason?: string },
): Promise<{ changed: boolean }> {
  const reason = parseReason(options.reason, "resumed by the founder");
  return runTaskCommand(options, async (tx, task, ctx, now) => {
    if (task.status !== "paused") return { changed: false };
    const to = resumeTarget(task.pausedFrom, task.remainingDeps);
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.task_resumed",
        stream: taskStream(task.id),
        expectedVersion: task.version,
        portfolioId: task.portfolioId,
        payload: { taskId: task.id, ventureId: task.ventureId, workstreamId: task.workstreamId, to, reason },
      },
    ]);
    await saveTask(tx, task, task.version + 1, { status: to, pausedFrom: null }, now);
    await notifyScheduler(tx);
    return { changed: true };
  });
}
