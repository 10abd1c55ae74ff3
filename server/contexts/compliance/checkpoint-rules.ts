// When to sign a checkpoint: pure, so the schedule is tested without a clock or a database.

export type CheckpointSchedule = { everyEvents: number; everySeconds: number };

/**
 * Due when the head has moved since the last checkpoint and either `everyEvents` events were
 * sealed since, or `everySeconds` have passed since it was signed, whichever comes first. A log
 * at rest gets no new checkpoint: the last one still describes it. `force` (a pack build that
 * needs a checkpoint at or after its period) only waives the schedule, never the head rule.
 */
export function checkpointDue(options: {
  headSequence: number;
  last: { sequence: number; signedAt: Date } | null;
  now: Date;
  schedule: CheckpointSchedule;
  force?: boolean;
}): boolean {
  const { headSequence, last, now, schedule } = options;
  if (headSequence <= (last?.sequence ?? 0)) return false;
  if (options.force || !last) return true;
  return (
    headSequence - last.sequence >= schedule.everyEvents ||
    now.getTime() - last.signedAt.getTime() >= schedule.everySeconds * 1_000
  );
}
