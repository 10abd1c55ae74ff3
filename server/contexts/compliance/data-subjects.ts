// Finding the data subjects a DSAR or an erasure is about (COMPL-004/005). An identifier is a
// subject id, a user id, or a value the catalog indexes for lookups (an email address): users are
// found by their account, everyone else by the keyed hashes kept when their data was sealed. A
// subject counts in a portfolio when it was first seen there, an event of the portfolio holds
// their data, or (a person) they are a member of it; other tenants' subjects do not exist here.
import type { Db, Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { eventCatalog } from "@/server/shared/events/catalog";
import { hasPersonalDataSpec, type SubjectType } from "@/server/shared/events/personal-data";
import { lookupHash } from "@/server/shared/events/personal-data-crypto";
import { personalDataMasterKey } from "@/server/shared/events/personal-data-keys";
import { lookupFieldsOf } from "@/server/shared/events/personal-data-store";

export type DataSubject = {
  subjectId: string;
  subjectType: SubjectType;
  /** null when the subject has no key row yet (a person registered before data was sealed). */
  keyId: string | null;
  status: "active" | "erased" | "no_sealed_data";
  portfolioId: string | null;
  createdAt: Date | null;
  lastActivityAt: Date | null;
  erasedAt: Date | null;
  version: number;
};

type SubjectRow = {
  subject_id: string;
  subject_type: SubjectType;
  key_id: string;
  wrapped_key: Buffer | null;
  portfolio_id: string | null;
  created_at: Date;
  last_activity_at: Date;
  erased_at: Date | null;
  version: number;
};

export const subjectColumns = `subject_id, subject_type, key_id, wrapped_key, portfolio_id, created_at,
  last_activity_at, erased_at, version`;

export function toDataSubject(row: SubjectRow): DataSubject {
  return {
    subjectId: row.subject_id,
    subjectType: row.subject_type,
    keyId: row.key_id,
    status: row.wrapped_key === null ? "erased" : "active",
    portfolioId: row.portfolio_id,
    createdAt: row.created_at,
    lastActivityAt: row.last_activity_at,
    erasedAt: row.erased_at,
    version: row.version,
  };
}

/** Every field name the catalog indexes for lookups (an email, a customer's name or email). */
function catalogLookupFields(): string[] {
  const fields = new Set<string>();
  for (const entry of Object.values(eventCatalog)) {
    if (hasPersonalDataSpec(entry)) for (const field of lookupFieldsOf(entry.personalData)) fields.add(field);
  }
  return [...fields];
}

export function parseSubjectIdentifier(raw: unknown): string {
  const identifier = typeof raw === "string" ? raw.trim() : "";
  if (identifier.length < 1 || identifier.length > 320) {
    throw new AppError(
      "BAD_REQUEST",
      "Invalid subject: a subject id, user id or email address (1-320 characters) is required",
      { fields: { subject: "a subject id, user id or email address (1-320 characters)" } },
    );
  }
  return identifier;
}

/**
 * The subjects an identifier names in a portfolio, one per subject (a person and a customer with
 * the same email are two subjects, both returned). NOT_FOUND when there is none: the message does
 * not repeat the identifier, which may itself be personal data.
 */
export async function resolveSubjects(options: {
  db: Db | Tx;
  portfolioId: string;
  identifier: string;
  /** Lock the subjects' key rows (an erasure). */
  forUpdate?: boolean;
}): Promise<DataSubject[]> {
  const { db, portfolioId, identifier } = options;
  const master = personalDataMasterKey();
  const hashes = catalogLookupFields().map((field) => lookupHash(master, field, identifier));
  const candidates = await db.$queryRawUnsafe<Array<{ subject_id: string; user_id: string | null }>>(
    `SELECT subject_id, NULL AS user_id FROM personal_data_subjects WHERE subject_id = $1
     UNION SELECT subject_id, NULL FROM personal_data_lookups WHERE lookup_hash = ANY($2::text[])
     UNION SELECT id, id FROM users WHERE id = $1 OR email = lower($1)`,
    identifier,
    hashes,
  );
  const ids = [...new Set(candidates.map((c) => c.subject_id))];
  if (ids.length === 0) throw notFound();
  // Visible in this portfolio: first seen here, holding data in one of its events, or a member.
  const visible = await db.$queryRawUnsafe<Array<{ subject_id: string }>>(
    `SELECT s.id AS subject_id FROM unnest($1::text[]) AS s(id)
      WHERE EXISTS (SELECT 1 FROM personal_data_subjects p WHERE p.subject_id = s.id AND p.portfolio_id = $2)
         OR EXISTS (SELECT 1 FROM personal_data_events e WHERE e.subject_id = s.id AND e.portfolio_id = $2)
         OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = s.id AND m.portfolio_id = $2)`,
    ids,
    portfolioId,
  );
  const visibleIds = visible.map((v) => v.subject_id).sort();
  if (visibleIds.length === 0) throw notFound();
  const rows = await db.$queryRawUnsafe<SubjectRow[]>(
    `SELECT ${subjectColumns} FROM personal_data_subjects WHERE subject_id = ANY($1::text[])
      ORDER BY subject_id${options.forUpdate ? " FOR UPDATE" : ""}`,
    visibleIds,
  );
  const byId = new Map(rows.map((row) => [row.subject_id, toDataSubject(row)]));
  const userIds = new Set(candidates.flatMap((c) => (c.user_id ? [c.user_id] : [])));
  return visibleIds.map(
    (id) =>
      byId.get(id) ?? {
        // A user whose registration predates sealed personal data: no key, only read models.
        subjectId: id,
        subjectType: userIds.has(id) ? "person" : "customer",
        keyId: null,
        status: "no_sealed_data",
        portfolioId: null,
        createdAt: null,
        lastActivityAt: null,
        erasedAt: null,
        version: 0,
      },
  );
}

function notFound(): AppError {
  return new AppError("NOT_FOUND", "No personal data about this subject in this portfolio", {
    fields: { subject: "not found in this portfolio" },
  });
}
