// A DSAR export (COMPL-004): everything the system holds about a data subject, readable. For each
// subject the identifier names in the portfolio: the events that hold their sealed data, opened
// ("[erased]" where the key is gone); the events they acted in or that are about them (their
// stream); and every read model that keeps their data in clear. The export itself is recorded as
// compliance.subject_data_exported (counts only: the export is personal data).
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { openPersonalData, type PersonalDataState } from "@/server/shared/events/personal-data-store";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { type DataSubject, parseSubjectIdentifier, resolveSubjects } from "./data-subjects";
import { storesFor } from "./personal-data-stores";

export type SubjectEventExport = {
  /** null while the event is committed but not yet sealed into the chain. */
  sequence: number | null;
  eventId: string;
  type: string;
  occurredAt: string;
  portfolioId: string | null;
  personalData: PersonalDataState;
  /** The payload with the subject's fields opened (or "[erased]"). */
  payload: Record<string, unknown>;
};

export type SubjectActivity = {
  sequence: number;
  eventId: string;
  type: string;
  occurredAt: string;
  /** actor: the subject (or one of their API tokens) did it; stream: the event is about them. */
  relation: "actor" | "stream";
};

export type SubjectExport = {
  subject: DataSubject;
  events: SubjectEventExport[];
  activity: SubjectActivity[];
  /** More activity exists than the export lists (activityLimit). */
  activityTruncated: boolean;
  records: Array<{ store: string; description: string; rows: Array<Record<string, unknown>> }>;
};

export type DataSubjectExport = {
  exportId: string;
  exportedAt: string;
  portfolioId: string;
  requestedBy: EventActor;
  subjects: SubjectExport[];
};

const activityLimit = 5_000;
const eventLimit = 10_000;

export async function exportSubjectData(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  subject: unknown;
}): Promise<DataSubjectExport> {
  const identifier = parseSubjectIdentifier(options.subject);
  const { db, portfolioId } = options;
  const subjects = await resolveSubjects({ db, portfolioId, identifier });
  const exportId = newId("dataExport");
  const exports: SubjectExport[] = [];
  for (const subject of subjects) exports.push(await exportOne(db, portfolioId, subject));
  const exportedAt = await withTransaction(db, async (tx) => {
    const appended = await appendEvents(
      tx,
      options,
      exports.map((e, i) => ({
        type: "compliance.subject_data_exported" as const,
        stream: { type: "data_export", id: `${exportId}.${i + 1}` },
        expectedVersion: 0,
        portfolioId,
        payload: {
          exportId,
          subjectType: e.subject.subjectType,
          subjectId: e.subject.subjectId,
          events: e.events.length,
          records: e.records.reduce((n, r) => n + r.rows.length, 0),
        },
      })),
    );
    return appended[0]?.occurredAt ?? new Date().toISOString();
  });
  return { exportId, exportedAt, portfolioId, requestedBy: options.actor, subjects: exports };
}

async function exportOne(db: Db, portfolioId: string, subject: DataSubject): Promise<SubjectExport> {
  // The events holding their sealed data, committed whether or not sealed into the chain yet; of
  // this portfolio or deployment-wide (a person's registration), never another tenant's.
  const rows = await db.$queryRawUnsafe<
    Array<{
      id: string;
      sequence: bigint | null;
      type: string;
      occurred_at: Date;
      portfolio_id: string | null;
      envelope: string;
    }>
  >(
    `SELECT e.id, c.sequence, e.type, e.occurred_at, e.portfolio_id, e.envelope
       FROM personal_data_events p
       JOIN event_log e ON e.id = p.event_id
       LEFT JOIN event_chain c ON c.event_id = e.id
      WHERE p.subject_id = $1 AND (e.portfolio_id = $2 OR e.portfolio_id IS NULL)
      ORDER BY e.position LIMIT $3`,
    subject.subjectId,
    portfolioId,
    eventLimit,
  );
  const opened = await openPersonalData(
    db,
    rows.map((row) => ({ id: row.id, payload: (JSON.parse(row.envelope) as { payload: unknown }).payload })),
    { reveal: true },
  );
  const events = rows.map((row, i) => ({
    sequence: row.sequence === null ? null : Number(row.sequence),
    eventId: row.id,
    type: row.type,
    occurredAt: row.occurred_at.toISOString(),
    portfolioId: row.portfolio_id,
    personalData: opened[i]!.personalData?.state ?? "readable",
    payload: opened[i]!.payload,
  }));

  // What they did (as themselves or through their API tokens) and what is about them (their stream).
  const activityRows = await db.$queryRawUnsafe<
    Array<{ sequence: bigint; id: string; type: string; occurred_at: Date; stream_id: string }>
  >(
    `SELECT sequence, id, type, occurred_at, stream_id FROM events
      WHERE (actor_id = $1 OR stream_id = $1
             OR (actor_type = 'api_token' AND actor_id IN (SELECT id FROM api_tokens WHERE user_id = $1)))
        AND (portfolio_id = $2 OR portfolio_id IS NULL)
      ORDER BY sequence LIMIT $3`,
    subject.subjectId,
    portfolioId,
    activityLimit + 1,
  );
  const activity = activityRows.slice(0, activityLimit).map((row) => ({
    sequence: Number(row.sequence),
    eventId: row.id,
    type: row.type,
    occurredAt: row.occurred_at.toISOString(),
    relation: (row.stream_id === subject.subjectId ? "stream" : "actor") as SubjectActivity["relation"],
  }));

  const records: SubjectExport["records"] = [];
  const ref = { ...subject, eventIds: rows.map((r) => r.id) };
  for (const store of await storesFor(db, subject.subjectType)) {
    const storeRows = await store.export(db, ref);
    if (storeRows.length > 0)
      records.push({ store: store.store, description: store.description, rows: storeRows.map(plain) });
  }
  return { subject, events, activity, activityTruncated: activityRows.length > activityLimit, records };
}

/** JSON-ready values: dates as ISO strings, bigints as strings of digits. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      v instanceof Date ? v.toISOString() : typeof v === "bigint" ? v.toString() : v,
    ]),
  );
}
