// What other contexts and the tRPC ladder may import from orchestration: where a venture or task
// belongs, and the commands the agent runtime uses to report on the runs it was dispatched
// (start, renew, complete, fail, abort) through the same command path as everything else.
import type { Db } from "@/server/shared/db";

export { abortTaskRun } from "./abort-task-run";
export { completeTaskRun, type PlanExtension, type RunOutcome } from "./complete-task-run";
export { failTaskRun } from "./fail-task-run";
export { type LeaseRenewal, renewTaskLease } from "./renew-task-lease";
export { type StartResult, startTaskRun, type TaskRunContext } from "./start-task-run";
export type { TaskSpecInput } from "./task-specs";
export { readTask, type TaskRow } from "./task-store";
export type { AttemptFailure } from "./task-transitions";

/** The portfolio a venture belongs to, or null when there is no such venture. */
export async function portfolioOfVenture(db: Db, ventureId: string): Promise<string | null> {
  const row = await db.venture.findUnique({ where: { id: ventureId }, select: { portfolioId: true } });
  return row?.portfolioId ?? null;
}

/** The venture and portfolio of a task, or null when there is no such task. */
export async function locateTask(
  db: Db,
  taskId: string,
): Promise<{ ventureId: string; portfolioId: string } | null> {
  const row = await db.task.findUnique({
    where: { id: taskId },
    select: { ventureId: true, portfolioId: true },
  });
  return row ?? null;
}
