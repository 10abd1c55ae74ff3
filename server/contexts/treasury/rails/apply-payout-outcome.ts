// The rail's answer applied to the books (ADR 0011), in the caller's transaction: paid → the
// intent's hold is posted and the intent is settled; failed → the hold is voided and the intent
// failed with the rail's reason. A payout settles at most once: the row is locked and a payout
// already settled or failed is left alone, so a webhook and a poll racing each other, or a
// redelivered message, change nothing the second time. Settling is refused while the kill-switch
// is paused (the caller retries after resume): money already moved at the rail is recorded then.
import { assertNotPaused } from "@/server/contexts/control/api";
import type { Tx } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import type { CommandContext } from "@/server/shared/events/store";
import { lockIntentForSettlement, recordIntentSettled, recordIntentSettlementFailed } from "../intents/api";
import { readPayout } from "./payout-rows";

export type PayoutOutcome =
  | { status: "paid"; railReference: string }
  | { status: "failed"; railReference: string | null; reason: string };

export type ApplyResult = "settled" | "failed" | "already_final";

export async function applyPayoutOutcome(
  tx: Tx,
  ctx: CommandContext,
  intentId: string,
  outcome: PayoutOutcome,
): Promise<ApplyResult> {
  // Intent first, then payout: the same order as the consumer's claim, so they cannot deadlock.
  const intent = await lockIntentForSettlement(tx, intentId);
  const payout = await readPayout(tx, intentId, true);
  invariant(intent && payout, `payout ${intentId} has its intent`);
  if (payout.status === "settled" || payout.status === "failed") return "already_final";
  if (outcome.status === "paid") {
    await assertNotPaused(tx, `Settling the payout of money intent ${intentId}`);
    await recordIntentSettled(tx, ctx, intent, { rail: payout.rail, railReference: outcome.railReference });
    await tx.$executeRawUnsafe(
      `UPDATE treasury_payouts SET status = 'settled', rail_status = 'paid', rail_reference = $2, settled_at = now()
        WHERE intent_id = $1`,
      intentId,
      outcome.railReference,
    );
    return "settled";
  }
  await recordIntentSettlementFailed(tx, ctx, intent, {
    rail: payout.rail,
    railReference: outcome.railReference,
    reason: outcome.reason,
  });
  await tx.$executeRawUnsafe(
    `UPDATE treasury_payouts
        SET status = 'failed', rail_status = CASE WHEN $2::text IS NULL THEN rail_status ELSE 'failed' END,
            failure_reason = $3, settled_at = now()
      WHERE intent_id = $1`,
    intentId,
    outcome.railReference,
    outcome.reason.slice(0, 2_000),
  );
  return "failed";
}
