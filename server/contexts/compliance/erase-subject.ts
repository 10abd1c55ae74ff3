// Erasure (COMPL-005): crypto-shredding. In one transaction the subject's data key is destroyed
// (its wrapped copy nulled), their lookup hashes deleted, every read model holding their data in
// clear scrubbed, and compliance.subject_erased appended. No stored event changes, so the chain
// and every signed checkpoint still verify; every sealed field of theirs now reads "[erased]",
// in the UI, the API, DSAR exports and evidence packs alike. Erasing an erased subject again
// changes nothing and records nothing.
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import type { CommandContext } from "@/server/shared/events/store";
import { appendEvents } from "@/server/shared/events/store";
import {
  type DataSubject,
  parseSubjectIdentifier,
  resolveSubjects,
  subjectColumns,
  toDataSubject,
} from "./data-subjects";
import { storesFor } from "./personal-data-stores";

export type ErasureReason = "request" | "retention";

export type ErasureResult = {
  subjectId: string;
  subjectType: DataSubject["subjectType"];
  /** false when the subject was already erased: nothing changed, nothing was recorded. */
  erased: boolean;
  erasedAt: Date;
  /** The key destroyed now (or earlier). */
  keyId: string;
  events: number;
  scrubbed: Array<{ store: string; rows: number }>;
};

/** Erases every subject the identifier names in the portfolio (admin only, checked by the caller). */
export async function eraseSubjects(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  subject: unknown;
  /** The person asking, who may not erase themselves. */
  requestedByUserId?: string;
}): Promise<ErasureResult[]> {
  const identifier = parseSubjectIdentifier(options.subject);
  return withTransaction(options.db, async (tx) => {
    const subjects = await resolveSubjects({
      db: tx,
      portfolioId: options.portfolioId,
      identifier,
      forUpdate: true,
    });
    if (options.requestedByUserId && subjects.some((s) => s.subjectId === options.requestedByUserId)) {
      throw new AppError(
        "UNPROCESSABLE",
        "You cannot erase your own personal data while acting as yourself: ask another admin",
      );
    }
    const results: ErasureResult[] = [];
    for (const subject of subjects) {
      results.push(
        await eraseSubjectInTx(tx, options, {
          subjectId: subject.subjectId,
          subjectType: subject.subjectType,
          reason: "request",
          portfolioId: options.portfolioId,
        }),
      );
    }
    return results;
  });
}

/**
 * Erases one subject inside the caller's transaction: the retention job and eraseSubjects both
 * come here. The subject's key row is locked first, so appends about them in flight finish (and
 * are erased too) before the key goes.
 */
export async function eraseSubjectInTx(
  tx: Tx,
  ctx: CommandContext,
  options: {
    subjectId: string;
    subjectType: DataSubject["subjectType"];
    reason: ErasureReason;
    /** Where compliance.subject_erased is recorded: the requesting portfolio, or the subject's. */
    portfolioId: string | null;
  },
): Promise<ErasureResult> {
  const now = (ctx.clock?.now() ?? new Date()).toISOString();
  // A person registered before personal data was sealed has no key row: one is made, erased, so a
  // later event about them gets a fresh key like any erased subject.
  await tx.$executeRawUnsafe(
    `INSERT INTO personal_data_subjects
       (subject_id, subject_type, portfolio_id, key_id, wrapped_key, master_key_id, created_at, last_activity_at, erased_at)
     VALUES ($1, $2, NULL, 'pk_none', NULL, NULL, $3, $3, $3) ON CONFLICT (subject_id) DO NOTHING`,
    options.subjectId,
    options.subjectType,
    now,
  );
  const [locked] = await tx.$queryRawUnsafe<Parameters<typeof toDataSubject>[0][]>(
    `SELECT ${subjectColumns} FROM personal_data_subjects WHERE subject_id = $1 FOR UPDATE`,
    options.subjectId,
  );
  const subject = toDataSubject(locked!);
  const [{ events } = { events: 0n }] = await tx.$queryRawUnsafe<Array<{ events: bigint }>>(
    "SELECT count(*) AS events FROM personal_data_events WHERE subject_id = $1",
    options.subjectId,
  );
  const eventIds = (
    await tx.$queryRawUnsafe<Array<{ event_id: string }>>(
      "SELECT event_id FROM personal_data_events WHERE subject_id = $1",
      options.subjectId,
    )
  ).map((r) => r.event_id);
  // Clear copies are scrubbed whether or not the key was already gone: a projection written
  // after an earlier erasure (from a command's input, not the log) is caught by a repeat.
  const scrubbed: ErasureResult["scrubbed"] = [];
  for (const store of await storesFor(tx, subject.subjectType)) {
    const rows = await store.scrub(tx, { ...subject, eventIds }, new Date(now));
    if (rows > 0) scrubbed.push({ store: store.store, rows });
  }
  const alreadyErased = subject.status === "erased" && scrubbed.length === 0;
  if (alreadyErased) {
    return {
      subjectId: subject.subjectId,
      subjectType: subject.subjectType,
      erased: false,
      erasedAt: subject.erasedAt ?? new Date(now),
      keyId: subject.keyId ?? "pk_none",
      events: Number(events),
      scrubbed: [],
    };
  }
  await tx.$executeRawUnsafe(
    `UPDATE personal_data_subjects
        SET wrapped_key = NULL, master_key_id = NULL, erased_at = COALESCE(erased_at, $2), version = version + 1
      WHERE subject_id = $1`,
    options.subjectId,
    now,
  );
  await tx.$executeRawUnsafe("DELETE FROM personal_data_lookups WHERE subject_id = $1", options.subjectId);
  await appendEvents(tx, { ...ctx, clock: { now: () => new Date(now) } }, [
    {
      type: "compliance.subject_erased",
      stream: { type: "data_subject", id: subject.subjectId },
      expectedVersion: subject.version,
      portfolioId: options.portfolioId ?? subject.portfolioId,
      payload: {
        subjectType: subject.subjectType,
        subjectId: subject.subjectId,
        keyId: subject.keyId ?? "pk_none",
        reason: options.reason,
        events: Number(events),
        scrubbed,
      },
    },
  ]);
  return {
    subjectId: subject.subjectId,
    subjectType: subject.subjectType,
    erased: true,
    erasedAt: subject.erasedAt ?? new Date(now),
    keyId: subject.keyId ?? "pk_none",
    events: Number(events),
    scrubbed,
  };
}
