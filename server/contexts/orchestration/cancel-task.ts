import { parseReason, runTaskCommand, type TaskCommandOptions } from "./task-command";
import { decideCancel } from "./task-rules";
import { cancelTasks } from "./task-transitions";

/**
 * Cancels a task and every task that depends on it (ORCH-006): they could never run. A running
 * task's agent stops at its next lease renewal. Cancelling a cancelled task changes nothing; a task
 * that succeeded cannot be cancelled.
 */
export async function cancelTask(
  options: TaskCommandOptions & { reason?: string },
): Promise<{ changed: boolean; cancelled: string[] }> {
  const reason = parseReason(options.reason, "cancelled by the founder");
  return runTaskCommand(options, async (tx, task, ctx, now) => {
    const decision = decideCancel(task.id, task.status);
    if (!decision) return { changed: false, cancelled: [] };
    const cancelled = await cancelTasks(tx, ctx, [task.id], reason, now);
    return { changed: cancelled.length > 0, cancelled };
  });
}
