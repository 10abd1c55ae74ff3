import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import type { CommandContext } from "@/server/shared/events/store";
import { abortRun } from "./start-task-run";
import { lockTask } from "./task-store";

/**
 * The agent stopped its run because something above it was paused (venture, workstream,
 * kill-switch): the attempt does not count and the task waits to be dispatched again.
 */
export async function abortTaskRun(options: {
  db: Db;
  ctx: CommandContext & { clock?: Clock };
  taskId: string;
  runId: string;
  reason: string;
}): Promise<"aborted" | "stale"> {
  const now = (options.ctx.clock ?? systemClock).now();
  return withTransaction(options.db, async (tx) => {
    const task = await lockTask(tx, options.taskId);
    if (
      !task ||
      task.runId !== options.runId ||
      (task.status !== "running" && task.status !== "dispatched")
    ) {
      return "stale";
    }
    await abortRun(tx, options.ctx, task, options.runId, options.reason, now);
    return "aborted";
  });
}
