import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { type TaskStatus, taskStatuses } from "./task-rules";
import { type TaskRow, taskSelectFrom } from "./task-store";
import { type TaskView, toTaskView } from "./task-views";

/** A venture's tasks, newest workstream first, optionally of some statuses (CTRL-001 "follow status"). */
export async function listTasks(options: {
  db: Db;
  ventureId: string;
  statuses?: readonly TaskStatus[];
  workstreamId?: string;
  limit?: number;
}): Promise<TaskView[]> {
  const statuses = options.statuses ?? [];
  const unknown = statuses.filter((s) => !(taskStatuses as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new AppError("BAD_REQUEST", `Unknown status ${unknown.join(", ")}`, {
      fields: { status: `one of ${taskStatuses.join(", ")}` },
    });
  }
  const limit = Math.min(Math.max(options.limit ?? 500, 1), 2_000);
  const rows = await options.db.$queryRawUnsafe<Array<TaskRow & { deps: string[] | null }>>(
    `SELECT ${taskSelectFrom("t")},
            (SELECT array_agg(d.depends_on_id ORDER BY d.depends_on_id) FROM task_dependencies d WHERE d.task_id = t.id) AS deps
       FROM tasks t
      WHERE t.venture_id = $1 AND (cardinality($2::text[]) = 0 OR t.status = ANY($2::text[]))
        AND ($3::text IS NULL OR t.workstream_id = $3)
      ORDER BY t.created_at DESC, t.id
      LIMIT $4`,
    options.ventureId,
    [...statuses],
    options.workstreamId ?? null,
    limit,
  );
  return rows.map((row) => toTaskView(row, row.deps ?? []));
}
