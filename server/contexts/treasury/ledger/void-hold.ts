import { type HoldResolution, type ResolutionRow, toResolution } from "./hold-resolution";
import { assertHoldId } from "./post-hold";
import { type LedgerTx, runLedgerSql } from "./sql";

/**
 * Voids a hold: its whole amount goes back to available on both accounts and nothing is posted.
 * Refused when the hold already resolved or has expired by the database clock (then the expiry job
 * releases it); two concurrent resolutions of one hold: one wins.
 */
export async function voidHold(tx: LedgerTx, options: { holdId: string }): Promise<HoldResolution> {
  assertHoldId(options.holdId);
  const [row] = await runLedgerSql<ResolutionRow>(
    tx,
    "SELECT * FROM ledger_resolve_hold($1, 'voided', NULL, NULL, NULL)",
    [options.holdId],
  );
  return toResolution(options.holdId, "voided", row!, 0n, null);
}
