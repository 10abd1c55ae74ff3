// A worker instance's confirmation that it stopped for a pause. Stored as operational evidence in
// control_confirmations, not as an event: see docs/decisions/0007-kill-switch.md.
import type { Db } from "@/server/shared/db";
import type { ControlConfirmation } from "./fanout";

/** Idempotent: the first confirmation of an instance for an epoch wins, a repeat does nothing. */
export async function recordConfirmation(options: {
  db: Db;
  confirmation: ControlConfirmation;
}): Promise<void> {
  const c = options.confirmation;
  await options.db.$executeRawUnsafe(
    `INSERT INTO control_confirmations
       (scope, epoch, instance_id, worker, pid, host, paused_at, stopped_at, took_ms, terminated)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
     ON CONFLICT (scope, epoch, instance_id) DO NOTHING`,
    c.scope,
    c.epoch,
    c.instanceId,
    c.worker,
    c.pid,
    c.host,
    new Date(c.pausedAt),
    new Date(c.stoppedAt),
    c.tookMs,
    JSON.stringify(c.terminated),
  );
}
