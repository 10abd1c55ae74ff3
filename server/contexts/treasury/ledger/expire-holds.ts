import { AppError } from "@/server/shared/errors";
import { type HoldResolution, type ResolutionRow, toResolution } from "./hold-resolution";
import { type LedgerTx, runLedgerSql } from "./sql";

export const maxExpiriesPerCall = 1_000;

/**
 * Expires up to `limit` holds whose expiry has passed by the database clock, oldest first, and
 * releases what they reserved. Run by the treasury job in a loop until it returns fewer than
 * `limit`; safe to run from several workers at once (each hold expires once). Budgets and velocity
 * windows refill through this: a velocity hold is never posted, it simply expires.
 */
export async function expireHolds(tx: LedgerTx, options: { limit: number }): Promise<HoldResolution[]> {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > maxExpiriesPerCall) {
    throw new AppError("BAD_REQUEST", `limit must be an integer from 1 to ${maxExpiriesPerCall}`, {
      fields: { limit: `1 to ${maxExpiriesPerCall}` },
    });
  }
  const rows = await runLedgerSql<ResolutionRow & { out_hold_id: string }>(
    tx,
    "SELECT * FROM ledger_expire_holds($1::int)",
    [options.limit],
  );
  return rows.map((row) => toResolution(row.out_hold_id, "expired", row, 0n, null));
}
