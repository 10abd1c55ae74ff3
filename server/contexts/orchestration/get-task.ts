import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { readTask } from "./task-store";
import { type TaskView, toTaskView } from "./task-views";

export type TaskHistoryEntry = {
  version: number;
  type: string;
  occurredAt: Date;
  actor: { type: string; id: string };
  payload: Record<string, unknown>;
};

/**
 * One task with its history: every event of its stream, in order (dispatches, attempts and their
 * errors, pauses, escalations, the founder's retries and edits). Another venture's task is NOT_FOUND.
 */
export async function getTask(options: {
  db: Db;
  ventureId: string;
  taskId: string;
}): Promise<TaskView & { history: TaskHistoryEntry[] }> {
  const task = await readTask(options.db, options.taskId);
  if (!task || task.ventureId !== options.ventureId) {
    throw new AppError("NOT_FOUND", `Task ${options.taskId} not found in venture ${options.ventureId}`, {
      fields: { taskId: "unknown task" },
    });
  }
  const [deps, events] = await Promise.all([
    options.db.$queryRawUnsafe<Array<{ depends_on_id: string }>>(
      "SELECT depends_on_id FROM task_dependencies WHERE task_id = $1 ORDER BY depends_on_id",
      task.id,
    ),
    // The log as committed (event_log), not only the part already sealed into the chain, so a
    // change shows at once.
    options.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE stream_type = 'task' AND stream_id = $1 ORDER BY stream_version",
      task.id,
    ),
  ]);
  const history = events.map((row): TaskHistoryEntry => {
    const envelope = JSON.parse(row.envelope) as {
      type: string;
      stream: { version: number };
      occurredAt: string;
      actor: { type: string; id: string };
      payload: Record<string, unknown>;
    };
    return {
      version: envelope.stream.version,
      type: envelope.type,
      occurredAt: new Date(envelope.occurredAt),
      actor: envelope.actor,
      payload: envelope.payload,
    };
  });
  return {
    ...toTaskView(
      task,
      deps.map((d) => d.depends_on_id),
    ),
    history,
  };
}
