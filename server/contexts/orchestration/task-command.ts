// The frame every founder command on one task shares: one transaction, the task locked and
// checked to belong to the venture the caller was authorized for (another venture's task is
// NOT_FOUND, like any other tenant's data), and the time from the clock.
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import type { CommandContext } from "@/server/shared/events/store";
import { lockTask, type TaskRow } from "./task-store";

export type TaskCommandOptions = {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
  taskId: string;
};

export async function runTaskCommand<T>(
  options: TaskCommandOptions,
  fn: (tx: Tx, task: TaskRow, ctx: CommandContext, now: Date) => Promise<T>,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  return withTransaction(options.db, async (tx) => {
    const task = await lockTask(tx, options.taskId);
    if (!task || task.ventureId !== options.ventureId) {
      throw new AppError("NOT_FOUND", `Task ${options.taskId} not found in venture ${options.ventureId}`, {
        fields: { taskId: "unknown task" },
      });
    }
    const ctx: CommandContext = { actor: options.actor, correlationId: options.correlationId, clock };
    return fn(tx, task, ctx, clock.now());
  });
}

/** Reasons people give for a pause, resume or cancel: trimmed, 1 to 500 characters. */
export function parseReason(reason: string | undefined, fallback: string): string {
  const text = (reason ?? "").trim();
  if (text.length > 500) {
    throw new AppError("BAD_REQUEST", "reason must be at most 500 characters", {
      fields: { reason: "at most 500 characters" },
    });
  }
  return text.length === 0 ? fallback : text;
}
