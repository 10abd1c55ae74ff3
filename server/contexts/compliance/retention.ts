// Retention (COMPL-005): personal data is kept for a number of days after the subject's last
// activity (the last event about them), per subject type, then erased by the compliance job
// exactly as an erasure on request is, with reason "retention". A type without a rule is kept
// until someone erases it.
import type { Clock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { type SubjectType, subjectTypes } from "@/server/shared/events/personal-data";
import { type ErasureResult, eraseSubjectInTx } from "./erase-subject";

export type RetentionRules = Partial<Record<SubjectType, number>>;

/** "customer=730,contact=365" → { customer: 730, contact: 365 }; the env module has checked the shape. */
export function parseRetentionRules(text: string): RetentionRules {
  const rules: RetentionRules = {};
  for (const part of text.split(",")) {
    const [type, days] = part.split("=");
    if (!type || days === undefined) continue;
    if ((subjectTypes as readonly string[]).includes(type) && /^\d+$/.test(days))
      rules[type as SubjectType] = Number(days);
  }
  return rules;
}

const batchSize = 50;

/**
 * Erases every subject whose retention has run out, a batch per transaction. Subjects locked by a
 * command in flight are skipped this round (SKIP LOCKED) and erased on the next.
 */
export async function applyRetention(options: {
  db: Db;
  rules: RetentionRules;
  clock?: Clock;
  /** Stop after this many erasures in one call (the next round continues). */
  limit?: number;
}): Promise<ErasureResult[]> {
  const now = (options.clock ?? { now: () => new Date() }).now();
  const limit = options.limit ?? 1_000;
  const ctx = {
    actor: { type: "worker" as const, id: "compliance" },
    correlationId: `retention_${now.toISOString()}`,
    clock: options.clock,
  };
  const erased: ErasureResult[] = [];
  for (const [type, days] of Object.entries(options.rules) as Array<[SubjectType, number]>) {
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    for (;;) {
      const batch = await withTransaction(options.db, async (tx) => {
        const due = await tx.$queryRawUnsafe<Array<{ subject_id: string; portfolio_id: string | null }>>(
          `SELECT subject_id, portfolio_id FROM personal_data_subjects
            WHERE subject_type = $1 AND erased_at IS NULL AND last_activity_at < $2
            ORDER BY last_activity_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
          type,
          cutoff,
          Math.min(batchSize, limit - erased.length),
        );
        const results: ErasureResult[] = [];
        for (const subject of due) {
          results.push(
            await eraseSubjectInTx(tx, ctx, {
              subjectId: subject.subject_id,
              subjectType: type,
              reason: "retention",
              portfolioId: subject.portfolio_id,
            }),
          );
        }
        return results;
      });
      erased.push(...batch);
      if (batch.length < batchSize || erased.length >= limit) break;
    }
    if (erased.length >= limit) break;
  }
  return erased;
}
