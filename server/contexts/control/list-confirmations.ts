// Which worker instances confirmed a pause, how long each took, and which live ones have not yet.
import type { Db } from "@/server/shared/db";
import { selectControlState } from "./control-rows";
import type { ControlStateView } from "./control-state";

export type ConfirmationView = {
  instanceId: string;
  worker: string;
  pid: number;
  host: string;
  pausedAt: Date;
  stoppedAt: Date;
  /** From the instance learning of the pause to its pause hooks returning (its own clock). */
  tookMs: number;
  /** stoppedAt − pausedAt: the pause's reach, across clocks (same host: exact to the millisecond). */
  afterPauseMs: number;
  terminated: Record<string, number>;
};

export type PendingInstance = { instanceId: string; worker: string; lastBeatAgeMs: number };

export type ConfirmationsView = {
  state: ControlStateView;
  /** The pause epoch listed: the current one while paused, else the last one (null: never paused). */
  epoch: number | null;
  confirmations: ConfirmationView[];
  /** Live instances (a heartbeat within liveWithinMs) that have not confirmed the pause in force. */
  pending: PendingInstance[];
};

type ConfirmationRow = {
  instance_id: string;
  worker: string;
  pid: number;
  host: string;
  paused_at: Date;
  stopped_at: Date;
  took_ms: number;
  terminated: Record<string, number>;
};

/**
 * Lists the confirmations of one pause epoch. Without `epoch`, the current pause, or the pause the
 * last resume ended: a pause and its resume are consecutive epochs, because a pause of a paused
 * state (or a resume of a running one) records nothing.
 */
export async function listConfirmations(options: {
  db: Db;
  epoch?: number;
  liveWithinMs?: number;
  limit?: number;
}): Promise<ConfirmationsView> {
  const { view: state } = await selectControlState(options.db, "none");
  const epoch =
    options.epoch ?? (state.state === "paused" ? state.epoch : state.epoch > 0 ? state.epoch - 1 : null);
  if (epoch === null) return { state, epoch, confirmations: [], pending: [] };
  const limit = Math.min(options.limit ?? 500, 1_000);
  const rows = await options.db.$queryRawUnsafe<ConfirmationRow[]>(
    `SELECT instance_id, worker, pid, host, paused_at, stopped_at, took_ms, terminated
       FROM control_confirmations WHERE scope = 'global' AND epoch = $1
      ORDER BY stopped_at, instance_id LIMIT $2`,
    epoch,
    limit,
  );
  const confirmations = rows.map((r) => ({
    instanceId: r.instance_id,
    worker: r.worker,
    pid: r.pid,
    host: r.host,
    pausedAt: r.paused_at,
    stoppedAt: r.stopped_at,
    tookMs: Math.round(r.took_ms * 100) / 100,
    afterPauseMs: Math.max(0, r.stopped_at.getTime() - r.paused_at.getTime()),
    terminated: r.terminated,
  }));
  // Pending only makes sense for the pause in force: after a resume nobody owes a confirmation.
  const pending =
    state.state === "paused" && epoch === state.epoch
      ? (
          await options.db.$queryRawUnsafe<Array<{ instance_id: string; worker: string; age_ms: number }>>(
            `SELECT h.instance_id, h.worker, (extract(epoch FROM now() - h.beat_at) * 1000)::float8 AS age_ms
               FROM worker_heartbeats h
              WHERE h.beat_at > now() - make_interval(secs => $2::float8 / 1000)
                AND NOT EXISTS (SELECT 1 FROM control_confirmations c
                                 WHERE c.scope = 'global' AND c.epoch = $1 AND c.instance_id = h.instance_id)
              ORDER BY h.worker, h.instance_id LIMIT 200`,
            epoch,
            options.liveWithinMs ?? 10_000,
          )
        ).map((r) => ({ instanceId: r.instance_id, worker: r.worker, lastBeatAgeMs: Math.round(r.age_ms) }))
      : [];
  return { state, epoch, confirmations, pending };
}
