-- Indexes for the dispatch pass and task completion at volume (ADR 0009, bench/dispatch.bench.ts).
-- Hand-written: partial indexes are not expressible in the Prisma schema.

-- The dispatch pass reads each venture's next candidates with a LIMIT in exactly this order
-- (priority, age, id), so the index serves the ORDER BY ... LIMIT without sorting all ready tasks.
DROP INDEX IF EXISTS "tasks_dispatchable_idx";
CREATE INDEX "tasks_dispatchable_idx" ON "tasks" ("venture_id", "priority" DESC, "created_at", "id")
  WHERE status IN ('ready', 'waiting_budget', 'retry_wait');

-- "Is anything of this workstream still open?" on every completion: a probe, however many of its
-- tasks have finished.
CREATE INDEX "tasks_open_by_workstream_idx" ON "tasks" ("workstream_id")
  WHERE status NOT IN ('succeeded', 'cancelled');
