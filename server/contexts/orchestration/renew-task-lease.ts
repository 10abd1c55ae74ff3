import { readControlSnapshot } from "@/server/contexts/control/api";
import type { Db } from "@/server/shared/db";

export type LeaseRenewal =
  | { ok: true; leaseExpiresAt: Date }
  | { ok: false; reason: "stale" | "paused"; detail: string };

/**
 * Renews a running task's lease (an operational column, not an event) and tells the agent whether
 * to go on. Not ok: the run is no longer current (the task was paused, cancelled, or its lease
 * expired and it was re-dispatched) or something above it is paused (venture, workstream,
 * kill-switch), and the agent must stop. An unreadable kill-switch state throws: the caller stops
 * (fail closed).
 */
export async function renewTaskLease(options: {
  db: Db;
  taskId: string;
  runId: string;
  leaseMs: number;
  now: Date;
}): Promise<LeaseRenewal> {
  const leaseExpiresAt = new Date(options.now.getTime() + options.leaseMs);
  const rows = await options.db.$queryRawUnsafe<Array<{ venture_paused: boolean; ws_paused: boolean }>>(
    `UPDATE tasks t SET lease_expires_at = $3
       FROM ventures v, workstreams w
      WHERE t.id = $1 AND t.run_id = $2 AND t.status = 'running' AND v.id = t.venture_id AND w.id = t.workstream_id
      RETURNING v.paused AS venture_paused, w.paused AS ws_paused`,
    options.taskId,
    options.runId,
    leaseExpiresAt,
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: "stale", detail: `run ${options.runId} is no longer current` };
  if (row.venture_paused) return { ok: false, reason: "paused", detail: "the venture is paused" };
  if (row.ws_paused) return { ok: false, reason: "paused", detail: "the workstream is paused" };
  const control = await readControlSnapshot(options.db);
  if (control.view.state === "paused")
    return { ok: false, reason: "paused", detail: "the kill-switch is engaged" };
  return { ok: true, leaseExpiresAt };
}
