import type { Db } from "@/server/shared/db";
import { getTask, type TaskHistoryEntry } from "./get-task";
import type { TaskView } from "./task-views";

export type Escalation = TaskView & { ventureName: string; history: TaskHistoryEntry[] };

/**
 * The founder's escalation inbox (ORCH-004, CTRL-006): escalated tasks of a portfolio, oldest
 * first, each with its history so the founder sees every attempt and why it failed.
 */
export async function listEscalations(options: {
  db: Db;
  portfolioId: string;
  limit?: number;
}): Promise<Escalation[]> {
  const rows = await options.db.$queryRawUnsafe<
    Array<{ id: string; venture_id: string; venture_name: string }>
  >(
    `SELECT t.id, t.venture_id, v.name AS venture_name FROM tasks t JOIN ventures v ON v.id = t.venture_id
      WHERE t.portfolio_id = $1 AND t.status = 'escalated' ORDER BY t.updated_at LIMIT $2`,
    options.portfolioId,
    Math.min(options.limit ?? 50, 200),
  );
  const out: Escalation[] = [];
  for (const row of rows) {
    const task = await getTask({ db: options.db, ventureId: row.venture_id, taskId: row.id });
    out.push({ ...task, ventureName: row.venture_name });
  }
  return out;
}
