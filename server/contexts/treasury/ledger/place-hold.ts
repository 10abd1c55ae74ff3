import { type Clock, systemClock } from "@/server/shared/clock";
import type { Currency } from "./currency";
import { assertValidHolds, type HoldInput } from "./holds";
import { type LedgerTx, runLedgerSql } from "./sql";

export type PlacedHold = {
  holdId: string;
  portfolioId: string;
  bookId: string;
  currency: Currency;
  debitAccountId: string;
  creditAccountId: string;
  amountMinor: bigint;
  expiresAt: Date;
  memo: string | null;
};

/**
 * Reserves funds (a pending transfer): amountMinor becomes debits_pending on the debit account and
 * credits_pending on the credit account, so available balances drop now and nothing is posted yet.
 * Refused with UNPROCESSABLE, naming the account and the shortfall, when a flagged account (a
 * budget, a velocity limit) would go below its floor; concurrent holds queue on the account's row
 * lock, so together they never reserve more than the account has. Then postHold, voidHold or
 * expireHolds resolves it, once.
 */
export async function placeHold(tx: LedgerTx, hold: HoldInput): Promise<PlacedHold> {
  const [placed] = await placeHoldsChecked(tx, [hold], systemClock, "hold");
  return placed!;
}

/** Places several holds atomically (all or none), e.g. a budget hold and a velocity-limit hold. */
export async function placeHolds(
  tx: LedgerTx,
  options: { holds: readonly HoldInput[]; clock?: Clock },
): Promise<PlacedHold[]> {
  return placeHoldsChecked(tx, options.holds, options.clock ?? systemClock, "holds");
}

async function placeHoldsChecked(
  tx: LedgerTx,
  holds: readonly HoldInput[],
  clock: Clock,
  field: string,
): Promise<PlacedHold[]> {
  assertValidHolds(holds, clock.now(), field);
  const single = holds.length === 1;
  const prefixOf = new Map(holds.map((h, i) => [h.id, single ? "" : `${field}[${i}].`]));
  const [row] = await runLedgerSql<{
    out_portfolio_ids: string[];
    out_book_ids: string[];
    out_currencies: string[];
  }>(
    tx,
    `SELECT out_portfolio_ids, out_book_ids, out_currencies
       FROM ledger_place_holds($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::text[])`,
    [
      holds.map((h) => h.id),
      holds.map((h) => h.debitAccountId),
      holds.map((h) => h.creditAccountId),
      holds.map((h) => h.amountMinor.toString()),
      holds.map((h) => h.expiresAt.toISOString()),
      holds.map((h) => h.memo ?? null),
    ],
    { hold: (id) => prefixOf.get(id) ?? "" },
  );
  return holds.map((hold, i) => ({
    holdId: hold.id,
    portfolioId: row!.out_portfolio_ids[i]!,
    bookId: row!.out_book_ids[i]!,
    currency: row!.out_currencies[i] as Currency,
    debitAccountId: hold.debitAccountId,
    creditAccountId: hold.creditAccountId,
    amountMinor: hold.amountMinor,
    expiresAt: hold.expiresAt,
    memo: hold.memo ?? null,
  }));
}
