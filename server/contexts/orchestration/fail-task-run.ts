import { systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import type { CommandContext } from "@/server/shared/events/store";
import { lockTask } from "./task-store";
import { type AttemptFailure, failAttempt } from "./task-transitions";

/**
 * The agent's report that its run failed (an error, a timeout, a refusal): retry after the
 * backoff or escalate (ORCH-004). Stale runs change nothing.
 */
export async function failTaskRun(options: {
  db: Db;
  ctx: CommandContext;
  taskId: string;
  failure: AttemptFailure;
}): Promise<"retry" | "escalated" | "stale"> {
  const now = (options.ctx.clock ?? systemClock).now();
  return withTransaction(options.db, async (tx) => {
    const task = await lockTask(tx, options.taskId);
    if (
      !task ||
      task.runId !== options.failure.runId ||
      (task.status !== "running" && task.status !== "dispatched")
    ) {
      return "stale";
    }
    return failAttempt(tx, options.ctx, task, options.failure, now);
  });
}
