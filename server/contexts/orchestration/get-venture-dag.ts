import type { Db } from "@/server/shared/db";
import { depths } from "./dag";
import { listTasks } from "./list-tasks";
import type { TaskView } from "./task-views";

export type WorkstreamView = {
  id: string;
  title: string;
  goal: string | null;
  origin: string;
  status: string;
  paused: boolean;
  replans: number;
  createdAt: Date;
  counts: Record<string, number>;
};

export type VentureDag = {
  workstreams: WorkstreamView[];
  /** Tasks with their depth in their workstream's DAG (0 = no dependencies), for the layout. */
  tasks: Array<TaskView & { depth: number }>;
  edges: Array<{ from: string; to: string }>;
};

/** The live DAG of a venture's recent workstreams (CTRL-002), polled by the venture page. */
export async function getVentureDag(options: {
  db: Db;
  ventureId: string;
  workstreams?: number;
}): Promise<VentureDag> {
  const workstreams = await options.db.$queryRawUnsafe<Array<Omit<WorkstreamView, "counts">>>(
    `SELECT id, title, goal, origin, status, paused, replans, created_at AS "createdAt"
       FROM workstreams WHERE venture_id = $1 ORDER BY created_at DESC LIMIT $2`,
    options.ventureId,
    Math.min(options.workstreams ?? 10, 50),
  );
  const ids = new Set(workstreams.map((w) => w.id));
  const tasks = (await listTasks({ db: options.db, ventureId: options.ventureId, limit: 2_000 })).filter(
    (t) => ids.has(t.workstreamId),
  );
  const byWorkstream = new Map<string, TaskView[]>();
  for (const task of tasks)
    byWorkstream.set(task.workstreamId, [...(byWorkstream.get(task.workstreamId) ?? []), task]);
  const depthOf = new Map<string, number>();
  for (const group of byWorkstream.values()) {
    for (const [id, depth] of depths(group.map((t) => ({ key: t.id, dependsOn: t.dependsOn }))))
      depthOf.set(id, depth);
  }
  return {
    workstreams: workstreams.map((w) => {
      const counts: Record<string, number> = {};
      for (const t of byWorkstream.get(w.id) ?? []) counts[t.status] = (counts[t.status] ?? 0) + 1;
      return { ...w, counts };
    }),
    tasks: tasks.map((t) => ({ ...t, depth: depthOf.get(t.id) ?? 0 })),
    edges: tasks.flatMap((t) => t.dependsOn.map((from) => ({ from, to: t.id }))),
  };
}
