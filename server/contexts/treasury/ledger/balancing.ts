// Journal entries, pure: input validation, balancing per book and currency, reversals. The database
// checks the same balance again at commit (a deferred trigger), so a bug here cannot store an
// unbalanced entry; validating here first means bad input is named by field and costs no round trip.
import { AppError } from "@/server/shared/errors";
import { describeFields } from "./accounts";
import { type Currency, formatMinor, isInt64 } from "./currency";

/** Debit positive, credit negative, in the account's currency's minor units. */
export type PostingInput = { accountId: string; amountMinor: bigint };

export type EntryInput = {
  /** Chosen by the caller (e.g. derived from the command's id) so a retry cannot post twice. */
  id: string;
  postings: readonly PostingInput[];
  memo?: string | null;
  /** The entry this one reverses; its postings must be the exact negation of the original's. */
  reversalOf?: string | null;
};

/** Ids of entries, holds and accounts: what fits in an event payload and a log line. */
export const ledgerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}$/;
export const maxPostingsPerEntry = 100;
export const maxEntriesPerBatch = 5_000;
export const maxMemoLength = 500;

/** Field problems of one entry, keyed by path (e.g. "postings[1].amountMinor"); empty when valid. */
export function entryProblems(entry: EntryInput, prefix = ""): Record<string, string> {
  const fields: Record<string, string> = {};
  if (typeof entry.id !== "string" || !ledgerIdPattern.test(entry.id)) {
    fields[`${prefix}id`] = "1-128 letters, digits, _ : . or -, starting with a letter or digit";
  }
  if (entry.memo != null && (typeof entry.memo !== "string" || entry.memo.length > maxMemoLength)) {
    fields[`${prefix}memo`] = `a string of at most ${maxMemoLength} characters`;
  }
  if (
    entry.reversalOf != null &&
    (typeof entry.reversalOf !== "string" || !ledgerIdPattern.test(entry.reversalOf))
  ) {
    fields[`${prefix}reversalOf`] = "an entry id";
  }
  if (!Array.isArray(entry.postings) || entry.postings.length < 2) {
    fields[`${prefix}postings`] = "an entry needs at least two postings";
    return fields;
  }
  if (entry.postings.length > maxPostingsPerEntry) {
    fields[`${prefix}postings`] = `at most ${maxPostingsPerEntry} postings per entry`;
    return fields;
  }
  const seen = new Set<string>();
  let sum = 0n;
  let amountsValid = true;
  entry.postings.forEach((posting, i) => {
    const at = `${prefix}postings[${i}]`;
    if (typeof posting.accountId !== "string" || !ledgerIdPattern.test(posting.accountId)) {
      fields[`${at}.accountId`] = "an account id";
    } else if (seen.has(posting.accountId)) {
      fields[`${at}.accountId`] =
        `account ${posting.accountId} appears twice in this entry; net it into one posting`;
    } else {
      seen.add(posting.accountId);
    }
    // The type says bigint, but a caller passing a JavaScript number would silently lose precision
    // above 2^53; refusing it keeps Number() off the money path.
    if (typeof posting.amountMinor !== "bigint") {
      fields[`${at}.amountMinor`] = "a bigint of minor units (debit positive, credit negative)";
      amountsValid = false;
    } else if (posting.amountMinor === 0n) {
      fields[`${at}.amountMinor`] = "must not be zero";
    } else if (!isInt64(posting.amountMinor)) {
      fields[`${at}.amountMinor`] = "must fit in 64 bits";
      amountsValid = false;
    } else {
      sum += posting.amountMinor;
    }
  });
  // Zero in total is necessary for zero per book and currency; the database checks the rest
  // once it knows each account's book and currency.
  if (amountsValid && sum !== 0n && !Object.keys(fields).some((f) => f.endsWith("amountMinor"))) {
    fields[`${prefix}postings`] = `debits and credits must balance: the amounts sum to ${sum}, not 0`;
  }
  return fields;
}

/** Validates a batch; throws one BAD_REQUEST naming every bad field, before anything is written. */
export function assertValidEntries(entries: readonly EntryInput[], field = "entries"): void {
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > maxEntriesPerBatch) {
    throw new AppError("BAD_REQUEST", `${field} must hold 1 to ${maxEntriesPerBatch} entries`, {
      fields: { [field]: `1 to ${maxEntriesPerBatch} entries` },
    });
  }
  const fields: Record<string, string> = {};
  const ids = new Set<string>();
  const single = entries.length === 1;
  entries.forEach((entry, i) => {
    const prefix = single ? "" : `${field}[${i}].`;
    Object.assign(fields, entryProblems(entry, prefix));
    if (ids.has(entry.id)) fields[`${prefix}id`] = `entry id ${entry.id} appears twice in this batch`;
    ids.add(entry.id);
  });
  if (Object.keys(fields).length > 0) {
    throw new AppError("BAD_REQUEST", `Invalid ledger entry: ${describeFields(fields)}`, { fields });
  }
}

export type LocatedPosting = PostingInput & { bookId: string; currency: Currency };

/** Sum of the postings per book and currency; a balanced entry has every sum at zero. */
export function ledgerSums(postings: readonly LocatedPosting[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const p of postings) {
    const key = `${p.bookId} ${p.currency}`;
    sums.set(key, (sums.get(key) ?? 0n) + p.amountMinor);
  }
  return sums;
}

/** The first book and currency that does not sum to zero, or null when the entry balances. */
export function unbalancedLedger(
  postings: readonly LocatedPosting[],
): { bookId: string; currency: Currency; sumMinor: bigint } | null {
  for (const p of postings) {
    const sum = postings
      .filter((q) => q.bookId === p.bookId && q.currency === p.currency)
      .reduce((total, q) => total + q.amountMinor, 0n);
    if (sum !== 0n) return { bookId: p.bookId, currency: p.currency, sumMinor: sum };
  }
  return null;
}

export function unbalancedError(
  entryId: string,
  bookId: string,
  currency: Currency,
  sumMinor: bigint,
): AppError {
  return new AppError(
    "BAD_REQUEST",
    `Entry ${entryId} does not balance in book ${bookId}: its ${currency} postings sum to ${formatMinor(sumMinor, currency)}, not 0 ` +
      "(each book and currency must balance on its own; move money between books through their funding accounts)",
    {
      reason: "unbalanced",
      entryId,
      bookId,
      currency,
      sumMinor: sumMinor.toString(),
      fields: { postings: "unbalanced" },
    },
  );
}

/** The postings that reverse an entry exactly. */
export function reversalPostings(original: readonly PostingInput[]): PostingInput[] {
  return original.map((p) => ({ accountId: p.accountId, amountMinor: -p.amountMinor }));
}

/** True when `candidate` is the exact negation of `original`, posting for posting, in any order. */
export function isExactReversal(
  original: readonly PostingInput[],
  candidate: readonly PostingInput[],
): boolean {
  if (original.length !== candidate.length) return false;
  const key = (p: PostingInput) => `${p.accountId} ${p.amountMinor}`;
  const expected = reversalPostings(original).map(key).sort();
  const actual = candidate.map(key).sort();
  return expected.every((k, i) => k === actual[i]);
}
