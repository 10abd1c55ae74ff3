// Personal data on the append and read paths (docs/decisions/0013).
//
// Append: for the events of a batch whose catalog entry names personal data, one statement
// creates (or touches) each subject's key row, indexes the event under the subject and keeps the
// lookup hashes; then each event's personal fields are sealed into its `pii` section before the
// envelope is hashed. Events without personal data cost nothing here. The subject's row stays
// locked until the command commits, so an erasure waits for the appends in flight and erases
// them too.
//
// Read: `openPersonalData` puts the fields back for readers allowed to see them, and shows
// "[erased]" where the subject's key is gone.
import type { Db, Tx } from "../db";
import { AppError, invariant } from "../errors";
import { eventCatalog, isEventType } from "./catalog";
import {
  erasedValue,
  hasPersonalDataSpec,
  type PersonalDataSection,
  type PersonalDataSpec,
  personalDataSectionOf,
  type SubjectType,
  withheldValue,
} from "./personal-data";
import {
  derivedSubjectId,
  lookupHash,
  type MasterKey,
  newDataKey,
  newSubjectKeyId,
  openFields,
  sealFields,
  unwrapDataKey,
  wrapDataKey,
} from "./personal-data-crypto";
import { personalDataMasterKey } from "./personal-data-keys";

/** The part of an event body the append path needs. */
type AppendBody = {
  id: string;
  type: string;
  portfolioId: string | null;
  occurredAt: string;
  payload: Record<string, unknown>;
};

let personalTypes: Set<string> | null = null;

/** Whether events of this type hold personal data: one Set lookup, paid by every append. */
export function carriesPersonalData(type: string): boolean {
  // Built on first use: the catalog is complete by then, whatever the module load order.
  personalTypes ??= new Set(
    Object.entries(eventCatalog).flatMap(([name, entry]) => (hasPersonalDataSpec(entry) ? [name] : [])),
  );
  return personalTypes.has(type);
}

type SubjectKeyRow = {
  subject_id: string;
  subject_type: SubjectType;
  key_id: string;
  wrapped_key: Buffer | null;
  master_key_id: string | null;
};

/**
 * Replaces the personal fields of every event in `bodies` that has any with its sealed `pii`
 * section, in place, inside the appending transaction. Call before the envelopes are serialized.
 */
export async function sealPersonalData(tx: Tx, bodies: AppendBody[], master?: MasterKey): Promise<void> {
  const key = master ?? personalDataMasterKey();
  const work: Array<{ body: AppendBody; spec: PersonalDataSpec; subjectId: string }> = [];
  for (const body of bodies) {
    if (!isEventType(body.type)) continue;
    const entry = eventCatalog[body.type];
    if (!hasPersonalDataSpec(entry)) continue;
    const spec = entry.personalData;
    const subjectId = subjectIdOf(key, spec, body);
    if (subjectId !== null) {
      work.push({ body, spec, subjectId });
      continue;
    }
    // Nobody named: the personal fields must be empty too, and leave the stored payload.
    for (const field of spec.fields) {
      invariant(
        body.payload[field] === null || body.payload[field] === undefined,
        `${body.type} holds ${field} but names no data subject`,
      );
      delete body.payload[field];
    }
  }
  if (work.length === 0) return;

  // A fresh key per subject, used only when the subject has none (new, or erased before).
  const candidates = new Map<
    string,
    {
      type: SubjectType;
      portfolioId: string | null;
      keyId: string;
      dataKey: Buffer;
      wrapped: Buffer;
      at: string;
    }
  >();
  const refs: Array<[string, string, string | null]> = [];
  const lookups = new Map<string, string>();
  for (const { body, spec, subjectId } of work) {
    if (!candidates.has(subjectId)) {
      const keyId = newSubjectKeyId();
      const dataKey = newDataKey();
      candidates.set(subjectId, {
        type: spec.subjectType,
        portfolioId: body.portfolioId,
        keyId,
        dataKey,
        wrapped: wrapDataKey(key, subjectId, keyId, dataKey),
        at: body.occurredAt,
      });
    }
    refs.push([subjectId, body.id, body.portfolioId]);
    for (const field of lookupFieldsOf(spec)) {
      const value = body.payload[field];
      if (typeof value === "string" && value.trim() !== "")
        lookups.set(`${lookupHash(key, field, value)}|${subjectId}`, subjectId);
    }
  }
  const subjects = [...candidates.entries()];
  const lookupRows = [...lookups.entries()].map(([k, subjectId]) => [k.split("|")[0]!, subjectId] as const);
  const rows = await tx.$queryRawUnsafe<SubjectKeyRow[]>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[])
         AS i(subject_id, subject_type, portfolio_id, key_id, wrapped_key, at)
     ), upserted AS (
       INSERT INTO personal_data_subjects AS s
              (subject_id, subject_type, portfolio_id, key_id, wrapped_key, master_key_id, created_at, last_activity_at)
       SELECT subject_id, subject_type, portfolio_id, key_id, wrapped_key, $7, at, at FROM input
       ON CONFLICT (subject_id) DO UPDATE SET
         last_activity_at = GREATEST(s.last_activity_at, EXCLUDED.last_activity_at),
         key_id = CASE WHEN s.wrapped_key IS NULL THEN EXCLUDED.key_id ELSE s.key_id END,
         master_key_id = CASE WHEN s.wrapped_key IS NULL THEN EXCLUDED.master_key_id ELSE s.master_key_id END,
         erased_at = CASE WHEN s.wrapped_key IS NULL THEN NULL ELSE s.erased_at END,
         wrapped_key = COALESCE(s.wrapped_key, EXCLUDED.wrapped_key)
       RETURNING s.subject_id, s.subject_type, s.key_id, s.wrapped_key, s.master_key_id
     ), refs AS (
       INSERT INTO personal_data_events (subject_id, event_id, portfolio_id)
       SELECT * FROM unnest($8::text[], $9::text[], $10::text[]) ON CONFLICT DO NOTHING
     ), lookups AS (
       INSERT INTO personal_data_lookups (lookup_hash, subject_id)
       SELECT * FROM unnest($11::text[], $12::text[]) ON CONFLICT DO NOTHING
     )
     SELECT subject_id, subject_type, key_id, wrapped_key, master_key_id FROM upserted`,
    subjects.map(([id]) => id),
    subjects.map(([, c]) => c.type),
    subjects.map(([, c]) => c.portfolioId),
    subjects.map(([, c]) => c.keyId),
    subjects.map(([, c]) => c.wrapped),
    subjects.map(([, c]) => c.at),
    key.id,
    refs.map((r) => r[0]),
    refs.map((r) => r[1]),
    refs.map((r) => r[2]),
    lookupRows.map((r) => r[0]),
    lookupRows.map((r) => r[1]),
  );
  const dataKeys = new Map<string, { keyId: string; dataKey: Buffer }>();
  for (const row of rows) {
    const candidate = candidates.get(row.subject_id)!;
    invariant(
      row.subject_type === candidate.type,
      `data subject ${row.subject_id} is a ${row.subject_type}, not a ${candidate.type}`,
    );
    if (row.key_id === candidate.keyId) {
      dataKeys.set(row.subject_id, { keyId: row.key_id, dataKey: candidate.dataKey });
      continue;
    }
    dataKeys.set(row.subject_id, { keyId: row.key_id, dataKey: unwrapOrRefuse(key, row) });
  }
  for (const { body, spec, subjectId } of work) {
    const subjectKey = dataKeys.get(subjectId);
    invariant(subjectKey, `the key of data subject ${subjectId} was returned`);
    const fields: Record<string, unknown> = {};
    for (const field of spec.fields) {
      if (body.payload[field] !== undefined) fields[field] = body.payload[field];
      delete body.payload[field];
    }
    body.payload.pii = sealFields({
      dataKey: subjectKey.dataKey,
      eventId: body.id,
      subjectType: spec.subjectType,
      subjectId,
      keyId: subjectKey.keyId,
      fields,
    });
  }
}

/** The subject an event's personal data is about, or null when a derived subject is not named. */
function subjectIdOf(master: MasterKey, spec: PersonalDataSpec, body: AppendBody): string | null {
  if ("idField" in spec.subject) {
    const id = body.payload[spec.subject.idField];
    invariant(
      typeof id === "string" && id.length > 0,
      `${body.type} names its data subject in ${spec.subject.idField}`,
    );
    return id;
  }
  const value = body.payload[spec.subject.derivedFrom];
  if (typeof value !== "string" || value.trim() === "") return null;
  const scopeField = spec.subject.scopeField;
  const scope = scopeField ? body.payload[scopeField] : body.portfolioId;
  return derivedSubjectId(master, spec.subjectType, typeof scope === "string" ? scope : "", value);
}

/** Fields indexed for lookups: the declared ones and the field a derived subject comes from. */
export function lookupFieldsOf(spec: PersonalDataSpec): string[] {
  const fields = new Set(spec.lookupFields ?? []);
  if ("derivedFrom" in spec.subject) fields.add(spec.subject.derivedFrom);
  return [...fields];
}

/** Fails closed: a key this process cannot open means a wrong master key, not an erased subject. */
function unwrapOrRefuse(master: MasterKey, row: SubjectKeyRow): Buffer {
  const dataKey =
    row.wrapped_key === null ? null : unwrapDataKey(master, row.subject_id, row.key_id, row.wrapped_key);
  if (!dataKey) {
    throw new AppError(
      "UNAVAILABLE",
      `The personal-data master key ${master.id} does not open the key of data subject ${row.subject_id} ` +
        `(wrapped by ${row.master_key_id ?? "an unknown key"}): check PII_MASTER_KEY`,
    );
  }
  return dataKey;
}

/** How one event's personal data reads for this reader. */
export type PersonalDataState = "readable" | "erased" | "withheld" | "unreadable";

export type OpenedPersonalData = {
  subjectType: SubjectType;
  subjectId: string;
  state: PersonalDataState;
  fields: string[];
};

export type OpenedPayload = {
  /** The payload with its personal fields back (or "[erased]" / "[personal data]" in their place). */
  payload: Record<string, unknown>;
  personalData: OpenedPersonalData | null;
};

/**
 * Opens the personal data of stored payloads. `reveal: false` shows every personal field as
 * "[personal data]" without touching a key (readers without the right to see it).
 */
export async function openPersonalData(
  db: Db | Tx,
  events: ReadonlyArray<{ id: string; payload: unknown }>,
  options: { reveal: boolean; master?: MasterKey },
): Promise<OpenedPayload[]> {
  const sections = events.map((event) => personalDataSectionOf(event.payload));
  const subjectIds = [...new Set(sections.flatMap((s) => (s ? [s.subjectId] : [])))];
  const keys = new Map<string, Buffer | null>();
  if (options.reveal && subjectIds.length > 0) {
    const master = options.master ?? personalDataMasterKey();
    const rows = await db.$queryRawUnsafe<SubjectKeyRow[]>(
      `SELECT subject_id, subject_type, key_id, wrapped_key, master_key_id FROM personal_data_subjects
        WHERE subject_id = ANY($1::text[])`,
      subjectIds,
    );
    for (const row of rows) {
      keys.set(`${row.subject_id}|${row.key_id}`, row.wrapped_key ? unwrapOrRefuse(master, row) : null);
    }
  }
  return events.map((event, i) => {
    const section = sections[i];
    const payload = { ...(event.payload as Record<string, unknown>) };
    if (!section) return { payload, personalData: null };
    delete payload.pii;
    const state = sectionState(section, event.id, options.reveal, keys);
    if (state.fields) Object.assign(payload, state.fields);
    else {
      const placeholder =
        state.state === "withheld" ? withheldValue : state.state === "erased" ? erasedValue : "[unreadable]";
      for (const field of section.fields) payload[field] = placeholder;
    }
    return {
      payload,
      personalData: {
        subjectType: section.subjectType,
        subjectId: section.subjectId,
        state: state.state,
        fields: section.fields,
      },
    };
  });
}

function sectionState(
  section: PersonalDataSection,
  eventId: string,
  reveal: boolean,
  keys: Map<string, Buffer | null>,
): { state: PersonalDataState; fields?: Record<string, unknown> } {
  if (!reveal) return { state: "withheld" };
  // No row with this key id: the subject was erased (and may have a newer key since).
  const dataKey = keys.get(`${section.subjectId}|${section.keyId}`);
  if (!dataKey) return { state: "erased" };
  const fields = openFields(dataKey, eventId, section);
  return fields ? { state: "readable", fields } : { state: "unreadable" };
}
