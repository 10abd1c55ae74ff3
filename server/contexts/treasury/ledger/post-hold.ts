import { AppError } from "@/server/shared/errors";
import { ledgerIdPattern, maxMemoLength } from "./balancing";
import { type Currency, parseMinor } from "./currency";
import { type HoldResolution, type ResolutionRow, toResolution } from "./hold-resolution";
import { assertValidPostAmount } from "./holds";
import { type LedgerTx, runLedgerSql } from "./sql";

/**
 * Settles a hold: posts amountMinor (default: all of it) from pending to posted between the hold's
 * two accounts as a journal entry, and releases the rest. One round trip. Refused (UNPROCESSABLE)
 * when the hold was already posted, voided or expired, when the database clock says it has
 * expired, or when amountMinor exceeds what it holds; two concurrent posts of one hold: one wins.
 * The settling entry's id defaults to "<holdId>:post" (a hold posts at most once).
 */
export async function postHold(
  tx: LedgerTx,
  options: { holdId: string; amountMinor?: bigint; entryId?: string; memo?: string | null },
): Promise<HoldResolution> {
  assertHoldId(options.holdId);
  assertValidPostAmount(options.amountMinor);
  const entryId = options.entryId ?? `${options.holdId}:post`;
  if (!ledgerIdPattern.test(entryId)) {
    throw new AppError("BAD_REQUEST", "entryId must be a ledger id", { fields: { entryId: "a ledger id" } });
  }
  if (options.memo != null && options.memo.length > maxMemoLength) {
    throw new AppError("BAD_REQUEST", `memo is longer than ${maxMemoLength}`, {
      fields: { memo: "too long" },
    });
  }
  const [row] = await runLedgerSql<ResolutionRow & { out_posted: string }>(
    tx,
    "SELECT * FROM ledger_resolve_hold($1, 'posted', $2::bigint, $3, $4)",
    [options.holdId, options.amountMinor?.toString() ?? null, entryId, options.memo ?? null],
  );
  const postedMinor = parseMinor(row!.out_posted);
  return toResolution(options.holdId, "posted", row!, postedMinor, {
    entryId,
    portfolioId: row!.out_portfolio_id,
    memo: options.memo ?? null,
    reversalOf: null,
    holdId: options.holdId,
    postings: [
      {
        accountId: row!.out_debit_account_id,
        currency: row!.out_currency as Currency,
        amountMinor: postedMinor,
      },
      {
        accountId: row!.out_credit_account_id,
        currency: row!.out_currency as Currency,
        amountMinor: -postedMinor,
      },
    ],
  });
}

export function assertHoldId(holdId: string): void {
  if (typeof holdId !== "string" || !ledgerIdPattern.test(holdId)) {
    throw new AppError("BAD_REQUEST", "holdId must be a hold id", { fields: { holdId: "a hold id" } });
  }
}
