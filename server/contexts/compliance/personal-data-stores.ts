// Read models that keep a data subject's personal data in clear columns (docs/decisions/0013).
// Events hold personal data sealed; a projection that must show it (a user's email for sign-in,
// the name of whoever pressed the kill-switch, the customer on a receipt) keeps a clear copy, and
// every such copy is listed here: a DSAR exports it, an erasure scrubs it in the same transaction
// as the key is destroyed. A table added later that holds personal data gets an entry here.
//
// The SQL reaches into other contexts' tables on purpose, as the evidence-pack builder does: this
// is the one place that knows where personal data lives, and each entry skips a deployment that
// does not have its table.
import type { Db, Tx } from "@/server/shared/db";
import { erasedValue, type SubjectType } from "@/server/shared/events/personal-data";

export type SubjectRef = {
  subjectId: string;
  subjectType: SubjectType;
  /** The events holding the subject's sealed data (a store may find its rows through them). */
  eventIds: string[];
};

export type PersonalDataStore = {
  /** Named in exports and in compliance.subject_erased. */
  store: string;
  description: string;
  subjectTypes: readonly SubjectType[];
  /** Every one must exist, or the store is skipped (a deployment without that context). */
  tables: readonly string[];
  /** The subject's rows, with their personal values as stored. */
  export(db: Db | Tx, subject: SubjectRef): Promise<Array<Record<string, unknown>>>;
  /** Replaces the subject's personal values; returns how many rows changed (0 the second time). */
  scrub(tx: Tx, subject: SubjectRef, at: Date): Promise<number>;
};

/** The email a scrubbed user keeps: unique (sign-in looks people up by it) and plainly erased. */
export const erasedEmail = (userId: string) => `${erasedValue}:${userId}`;

export const personalDataStores: PersonalDataStore[] = [
  {
    store: "users",
    description: "The person's account: email (used to sign in) and name.",
    subjectTypes: ["person"],
    tables: ["users"],
    export: (db, subject) =>
      db.$queryRawUnsafe(
        `SELECT id AS "userId", email, name, created_at AS "createdAt", password_hash IS NOT NULL AS "canSignIn"
           FROM users WHERE id = $1`,
        subject.subjectId,
      ),
    // The account can no longer sign in: its email is gone and its password hash with it.
    scrub: (tx, subject) =>
      tx.$executeRawUnsafe(
        `UPDATE users SET email = $2, name = $3, password_hash = NULL
          WHERE id = $1 AND (email <> $2 OR name <> $3 OR password_hash IS NOT NULL)`,
        subject.subjectId,
        erasedEmail(subject.subjectId),
        erasedValue,
      ),
  },
  {
    store: "api_tokens",
    description: "API tokens the person created (their names; the secrets are stored hashed).",
    subjectTypes: ["person"],
    tables: ["api_tokens"],
    export: (db, subject) =>
      db.$queryRawUnsafe(
        `SELECT id AS "tokenId", name, created_at AS "createdAt", expires_at AS "expiresAt",
                revoked_at AS "revokedAt", last_used_at AS "lastUsedAt"
           FROM api_tokens WHERE user_id = $1 ORDER BY created_at`,
        subject.subjectId,
      ),
    // A token must not go on acting for an erased person: revoked with the erasure.
    scrub: (tx, subject, at) =>
      tx.$executeRawUnsafe(
        "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        subject.subjectId,
        at,
      ),
  },
  {
    store: "memberships",
    description: "The portfolios the person belongs to and their role in each.",
    subjectTypes: ["person"],
    tables: ["memberships"],
    export: (db, subject) =>
      db.$queryRawUnsafe(
        `SELECT portfolio_id AS "portfolioId", role, granted_at AS "grantedAt"
           FROM memberships WHERE user_id = $1 ORDER BY granted_at`,
        subject.subjectId,
      ),
    // Ids and roles only: nothing personal to scrub.
    scrub: async () => 0,
  },
  {
    store: "control_state",
    description: "The kill-switch state names who last paused or resumed it.",
    subjectTypes: ["person"],
    tables: ["control_state", "api_tokens"],
    export: (db, subject) =>
      db.$queryRawUnsafe(
        `SELECT scope, state, since, by_type AS "byType", by_id AS "byId", by_name AS "byName"
           FROM control_state
          WHERE (by_type = 'user' AND by_id = $1)
             OR (by_type = 'api_token' AND by_id IN (SELECT id FROM api_tokens WHERE user_id = $1))`,
        subject.subjectId,
      ),
    scrub: (tx, subject) =>
      tx.$executeRawUnsafe(
        `UPDATE control_state SET by_name = $2
          WHERE by_name <> $2
            AND ((by_type = 'user' AND by_id = $1)
              OR (by_type = 'api_token' AND by_id IN (SELECT id FROM api_tokens WHERE user_id = $1)))`,
        subject.subjectId,
        erasedValue,
      ),
  },
  {
    store: "treasury_receipts",
    description: "Payments received from the customer (the customer as the rail named them).",
    subjectTypes: ["customer"],
    tables: ["treasury_receipts", "event_log"],
    export: (db, subject) =>
      db.$queryRawUnsafe(
        `SELECT r.id AS "receiptId", r.venture_id AS "ventureId", r.rail, r.rail_reference AS "railReference",
                r.amount_minor::text AS "amountMinor", r.currency, r.customer, r.received_at AS "receivedAt"
           FROM treasury_receipts r
          WHERE r.id IN (SELECT (e.envelope::jsonb -> 'payload' ->> 'receiptId') FROM event_log e
                          WHERE e.id = ANY($1::text[]) AND e.type = 'treasury.revenue_received')
          ORDER BY r.received_at`,
        subject.eventIds,
      ),
    scrub: (tx, subject) =>
      tx.$executeRawUnsafe(
        `UPDATE treasury_receipts SET customer = $2
          WHERE customer IS NOT NULL AND customer <> $2
            AND id IN (SELECT (e.envelope::jsonb -> 'payload' ->> 'receiptId') FROM event_log e
                        WHERE e.id = ANY($1::text[]) AND e.type = 'treasury.revenue_received')`,
        subject.eventIds,
        erasedValue,
      ),
  },
];

/** The stores that apply to a subject type and whose tables this deployment has. */
export async function storesFor(db: Db | Tx, subjectType: SubjectType): Promise<PersonalDataStore[]> {
  const candidates = personalDataStores.filter((s) => s.subjectTypes.includes(subjectType));
  const tables = [...new Set(candidates.flatMap((s) => s.tables))];
  const rows = await db.$queryRawUnsafe<Array<{ name: string; present: boolean }>>(
    "SELECT t.name, to_regclass('public.' || t.name) IS NOT NULL AS present FROM unnest($1::text[]) AS t(name)",
    tables,
  );
  const present = new Set(rows.filter((r) => r.present).map((r) => r.name));
  return candidates.filter((s) => s.tables.every((t) => present.has(t)));
}
