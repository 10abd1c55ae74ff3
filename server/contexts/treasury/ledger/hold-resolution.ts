// The shape every hold resolution returns, and the row it is parsed from.
import type { Currency } from "./currency";
import { parseMinor } from "./currency";
import type { HoldOutcome } from "./holds";
import type { PostedEntry } from "./post-entries";
import { toDate } from "./sql";

export type HoldResolution = {
  holdId: string;
  outcome: HoldOutcome;
  portfolioId: string;
  bookId: string;
  currency: Currency;
  debitAccountId: string;
  creditAccountId: string;
  /** What the hold reserved. */
  heldMinor: bigint;
  /** What moved to posted (0 when voided or expired). */
  postedMinor: bigint;
  /** What went back to available: heldMinor - postedMinor. */
  releasedMinor: bigint;
  expiresAt: Date;
  /** The settling entry, when posted. */
  entry: PostedEntry | null;
};

export type ResolutionRow = {
  out_portfolio_id: string;
  out_book_id: string;
  out_currency: string;
  out_debit_account_id: string;
  out_credit_account_id: string;
  out_amount: string;
  out_expires_at: Date | string;
};

export function toResolution(
  holdId: string,
  outcome: HoldOutcome,
  row: ResolutionRow,
  postedMinor: bigint,
  entry: PostedEntry | null,
): HoldResolution {
  const heldMinor = parseMinor(row.out_amount);
  return {
    holdId,
    outcome,
    portfolioId: row.out_portfolio_id,
    bookId: row.out_book_id,
    currency: row.out_currency as Currency,
    debitAccountId: row.out_debit_account_id,
    creditAccountId: row.out_credit_account_id,
    heldMinor,
    postedMinor,
    releasedMinor: heldMinor - postedMinor,
    expiresAt: toDate(row.out_expires_at),
    entry,
  };
}
