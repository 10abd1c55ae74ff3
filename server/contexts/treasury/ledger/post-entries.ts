import { AppError } from "@/server/shared/errors";
import { assertValidEntries, type EntryInput, isExactReversal, type PostingInput } from "./balancing";
import { type Currency, parseMinor } from "./currency";
import { type LedgerTx, runLedgerSql } from "./sql";

export type PostedPosting = { accountId: string; currency: Currency; amountMinor: bigint };

export type PostedEntry = {
  entryId: string;
  portfolioId: string;
  memo: string | null;
  reversalOf: string | null;
  /** The hold this entry settles, for entries written by postHold. */
  holdId: string | null;
  postings: PostedPosting[];
};

/**
 * Posts one balanced journal entry in the caller's transaction: one round trip that locks the
 * accounts in id order, checks them (known, balanced per book and currency, flags and floors) and
 * writes the entry, its postings and the balances. Refusals are AppErrors naming the account or
 * field; nothing is written. The caller appends the event that records the entry (see record.ts).
 */
export async function postEntry(tx: LedgerTx, entry: EntryInput): Promise<PostedEntry> {
  // A transfer (two postings, no reversal), most calls: straight to its statement.
  if (entry.reversalOf == null && entry.postings?.length === 2) {
    assertValidEntries([entry], "entry");
    return postTransfer(tx, entry);
  }
  const [posted] = await postEntriesChecked(tx, [entry], "entry");
  return posted!;
}

/**
 * Posts a batch of entries atomically, in one round trip: each account is locked and updated once
 * however many entries touch it, which is how a hot account (a budget, the treasury's cash) goes
 * beyond one transfer per commit. Flags and floors are judged on the batch's net effect.
 *
 * `createdAt` back-dates the batch (ADR 0004, "Back-dated entries"): its entries carry that time
 * and count in the daily totals of its UTC day. For history recorded after the fact (an import,
 * the demo portfolio); a time after the database clock is refused. Without it, entries are dated
 * by the database clock, as always.
 */
export async function postEntries(
  tx: LedgerTx,
  options: { entries: readonly EntryInput[]; createdAt?: Date },
): Promise<PostedEntry[]> {
  if (options.createdAt !== undefined && !isValidDate(options.createdAt)) {
    throw new AppError("BAD_REQUEST", "createdAt must be a valid date-time", {
      fields: { createdAt: "a valid date-time, not after now" },
    });
  }
  return postEntriesChecked(tx, options.entries, "entries", options.createdAt ?? null);
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

async function postEntriesChecked(
  tx: LedgerTx,
  entries: readonly EntryInput[],
  field: string,
  createdAt: Date | null = null,
): Promise<PostedEntry[]> {
  assertValidEntries(entries, field);
  const single = entries.length === 1;
  const prefixOf = new Map(entries.map((e, i) => [e.id, single ? "" : `${field}[${i}].`]));
  if (entries.some((e) => e.reversalOf != null)) await assertReversals(tx, entries, prefixOf);
  // A transfer (one entry of two postings) is most calls: it has a path of its own (dated now).
  if (createdAt === null && single && entries[0]!.postings.length === 2) {
    return [await postTransfer(tx, entries[0]!)];
  }

  const counts: number[] = [];
  const firsts: number[] = [];
  const postingEntry: number[] = [];
  const postingSeq: number[] = [];
  const accountIds: string[] = [];
  const amounts: string[] = [];
  const postingField: string[] = [];
  entries.forEach((entry, e) => {
    counts.push(entry.postings.length);
    firsts.push(accountIds.length + 1);
    entry.postings.forEach((posting, seq) => {
      postingEntry.push(e + 1);
      postingSeq.push(seq);
      accountIds.push(posting.accountId);
      amounts.push(posting.amountMinor.toString());
      postingField.push(`${prefixOf.get(entry.id)}postings[${seq}].accountId`);
    });
  });

  const [row] = await runLedgerSql<{ out_portfolio_ids: string[]; out_currencies: string[] }>(
    tx,
    createdAt === null
      ? `SELECT out_portfolio_ids, out_currencies
           FROM ledger_post_entries($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[],
                                    $8::text[], $9::bigint[])`
      : `SELECT out_portfolio_ids, out_currencies
           FROM ledger_post_entries($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[],
                                    $8::text[], $9::bigint[], $10::timestamptz)`,
    [
      entries.map((e) => e.id),
      entries.map((e) => e.memo ?? null),
      entries.map((e) => e.reversalOf ?? null),
      counts,
      firsts,
      postingEntry,
      postingSeq,
      accountIds,
      amounts,
      ...(createdAt === null ? [] : [createdAt.toISOString()]),
    ],
    {
      posting: (ordinal) => postingField[ordinal - 1] ?? "postings",
      entry: (id) => prefixOf.get(id) ?? "",
    },
  );
  // One portfolio and currency per posting, in input order.
  const portfolios = row!.out_portfolio_ids;
  const currencies = row!.out_currencies as Currency[];
  return entries.map((entry, e) => ({
    entryId: entry.id,
    portfolioId: portfolios[firsts[e]! - 1]!,
    memo: entry.memo ?? null,
    reversalOf: entry.reversalOf ?? null,
    holdId: null,
    postings: entry.postings.map((p, seq) => ({
      accountId: p.accountId,
      currency: currencies[firsts[e]! - 1 + seq]!,
      amountMinor: p.amountMinor,
    })),
  }));
}

/**
 * One entry of two postings, the common call: ledger_post_entry locks both accounts, checks and
 * writes in two statements (it hands anything it does not pass to ledger_post_entries, which names
 * the refusal). Parameters it does not need are left out of the statement, so a plain transfer
 * sends five.
 */
function postTransfer(tx: LedgerTx, entry: EntryInput): Promise<PostedEntry> {
  const [first, second] = entry.postings as [PostingInput, PostingInput];
  const memo = entry.memo ?? null;
  const reversalOf = entry.reversalOf ?? null;
  const plain = memo === null && reversalOf === null;
  return runLedgerSql<{ posted: [string, string] }>(
    tx,
    plain
      ? "SELECT ledger_post_entry($1, NULL, NULL, $2, $3::bigint, $4, $5::bigint) AS posted"
      : "SELECT ledger_post_entry($1, $6, $7, $2, $3::bigint, $4, $5::bigint) AS posted",
    [
      entry.id,
      first.accountId,
      first.amountMinor.toString(),
      second.accountId,
      second.amountMinor.toString(),
      ...(plain ? [] : [memo, reversalOf]),
    ],
    {
      posting: (ordinal) => `postings[${ordinal - 1}].accountId`,
      entry: () => "",
    },
  ).then(([row]) => {
    const [portfolioId, currency] = row!.posted as [string, Currency];
    return {
      entryId: entry.id,
      portfolioId,
      memo,
      reversalOf,
      holdId: null,
      postings: entry.postings.map((p) => ({ accountId: p.accountId, currency, amountMinor: p.amountMinor })),
    };
  });
}

/** The postings of existing entries and whether each has been reversed already. */
export async function readEntryPostings(
  tx: LedgerTx,
  entryIds: readonly string[],
): Promise<Map<string, { postings: PostingInput[]; reversedBy: string | null; holdId: string | null }>> {
  const rows = await runLedgerSql<{
    entry_id: string;
    account_id: string;
    amount_minor: string;
    reversed_by: string | null;
    hold_id: string | null;
  }>(
    tx,
    `SELECT p.entry_id, p.account_id, p.amount_minor::text AS amount_minor, r.id AS reversed_by, e.hold_id
       FROM ledger_postings p
       JOIN ledger_entries e ON e.id = p.entry_id
       LEFT JOIN ledger_entries r ON r.reversal_of = p.entry_id
      WHERE p.entry_id = ANY($1::text[])
      ORDER BY p.entry_id, p.seq`,
    [entryIds],
  );
  const byEntry = new Map<
    string,
    { postings: PostingInput[]; reversedBy: string | null; holdId: string | null }
  >();
  for (const row of rows) {
    const entry = byEntry.get(row.entry_id) ?? {
      postings: [],
      reversedBy: row.reversed_by,
      holdId: row.hold_id,
    };
    entry.postings.push({ accountId: row.account_id, amountMinor: parseMinor(row.amount_minor) });
    byEntry.set(row.entry_id, entry);
  }
  return byEntry;
}

/** A reversal must name an existing, unreversed entry and negate its postings exactly. */
async function assertReversals(
  tx: LedgerTx,
  entries: readonly EntryInput[],
  prefixOf: Map<string, string>,
): Promise<void> {
  const reversals = entries.filter((e) => e.reversalOf != null);
  const originals = await readEntryPostings(
    tx,
    reversals.map((e) => e.reversalOf!),
  );
  for (const entry of reversals) {
    const prefix = prefixOf.get(entry.id) ?? "";
    const original = originals.get(entry.reversalOf!);
    if (!original) {
      throw new AppError("NOT_FOUND", `Entry ${entry.reversalOf} to reverse does not exist`, {
        reason: "unknown_entry",
        fields: { [`${prefix}reversalOf`]: "unknown entry" },
      });
    }
    if (original.reversedBy !== null) {
      throw new AppError(
        "CONFLICT",
        `Entry ${entry.reversalOf} is already reversed by ${original.reversedBy}`,
        {
          reason: "already_reversed",
          fields: { [`${prefix}reversalOf`]: "already reversed" },
        },
      );
    }
    if (!isExactReversal(original.postings, entry.postings)) {
      throw new AppError(
        "BAD_REQUEST",
        `Entry ${entry.id} must negate every posting of ${entry.reversalOf} exactly to reverse it`,
        {
          reason: "not_exact_reversal",
          fields: { [`${prefix}postings`]: `the exact negation of ${entry.reversalOf}` },
        },
      );
    }
  }
}
