// Treasury events: the ledger's facts (ADR 0004). The ledger module writes balances; the use-case
// that moved the money appends one of these in the same transaction, so the log can replay every
// balance. Money is a string of digits in minor units (JSON has no exact integers beyond 2^53).
import { z } from "zod";

const minor = z.string().regex(/^-?\d+$/, "an integer amount in minor units, as a string of digits");
const positiveMinor = z.string().regex(/^[1-9]\d*$/, "a positive integer amount in minor units");
const nonNegativeMinor = z.string().regex(/^\d+$/, "a non-negative integer amount in minor units");
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code");
const isoTime = z.iso.datetime({ offset: true });

export const ledgerAccountKinds = ["asset", "liability", "equity", "revenue", "expense"] as const;

const holdRef = {
  holdId: z.string().min(1),
  bookId: z.string().min(1),
  currency,
  debitAccountId: z.string().min(1),
  creditAccountId: z.string().min(1),
};

export const treasuryEvents = {
  /** Accounts a book opened in one currency (only the ones this command created). */
  "treasury.accounts_opened": {
    schemaVersion: 1,
    payload: z
      .object({
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1).nullable(),
        bookId: z.string().min(1),
        currency,
        accounts: z
          .array(
            z
              .object({
                accountId: z.string().min(1),
                code: z.string().min(1),
                kind: z.enum(ledgerAccountKinds),
                debitsMustNotExceedCredits: z.boolean(),
                creditsMustNotExceedDebits: z.boolean(),
                floorMinor: minor,
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
  },
  /** A journal entry was posted: debits positive, credits negative, balancing per book and currency. */
  "treasury.entry_posted": {
    schemaVersion: 1,
    payload: z
      .object({
        entryId: z.string().min(1),
        memo: z.string().nullable(),
        reversalOf: z.string().min(1).nullable(),
        postings: z
          .array(z.object({ accountId: z.string().min(1), currency, amountMinor: minor }).strict())
          .min(2),
      })
      .strict(),
  },
  /** Funds reserved: amountMinor pending on both accounts until posted, voided or expired. */
  "treasury.hold_placed": {
    schemaVersion: 1,
    payload: z
      .object({ ...holdRef, amountMinor: positiveMinor, expiresAt: isoTime, memo: z.string().nullable() })
      .strict(),
  },
  /** A hold settled: postedMinor moved to posted by the settling entry, releasedMinor went back. */
  "treasury.hold_posted": {
    schemaVersion: 1,
    payload: z
      .object({
        ...holdRef,
        entryId: z.string().min(1),
        heldMinor: positiveMinor,
        postedMinor: positiveMinor,
        releasedMinor: nonNegativeMinor,
      })
      .strict(),
  },
  "treasury.hold_voided": {
    schemaVersion: 1,
    payload: z.object({ ...holdRef, releasedMinor: positiveMinor }).strict(),
  },
  /** Expired by the database clock (expiresAt passed) and released by the expiry job. */
  "treasury.hold_expired": {
    schemaVersion: 1,
    payload: z.object({ ...holdRef, releasedMinor: positiveMinor, expiresAt: isoTime }).strict(),
  },
} as const;
