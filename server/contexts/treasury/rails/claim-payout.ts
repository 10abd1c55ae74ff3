// Step one of paying an approved intent (ADR 0011): in the consumer's transaction, put the intent
// on the payout queue. The row is keyed by the intent id, so a message delivered twice (or an
// approval seen by two workers) queues it once; the worker's payout loop then submits it.
import type { Tx } from "@/server/shared/db";
import { internalIntentCategories, lockIntentForSettlement } from "../intents/api";
import type { RailName } from "./rail";

export type ClaimResult = "queued" | "already_queued" | "not_payable";

export async function claimPayout(
  tx: Tx,
  options: { intentId: string; rail: RailName },
): Promise<ClaimResult> {
  const intent = await lockIntentForSettlement(tx, options.intentId);
  const [queued] = await tx.$queryRawUnsafe<Array<{ intent_id: string }>>(
    "SELECT intent_id FROM treasury_payouts WHERE intent_id = $1",
    options.intentId,
  );
  if (queued) return "already_queued";
  // Only approved intents that pay someone outside: internal budget moves settle in the ledger.
  if (intent?.status !== "approved" || !intent.holdId) return "not_payable";
  if (internalIntentCategories.includes(intent.category)) return "not_payable";
  const inserted = await tx.$executeRawUnsafe(
    `INSERT INTO treasury_payouts
       (intent_id, portfolio_id, venture_id, rail, amount_minor, currency, counterparty, hold_id, status,
        attempts, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitting', 0, now(), now())
     ON CONFLICT (intent_id) DO NOTHING`,
    intent.id,
    intent.portfolioId,
    intent.ventureId,
    options.rail,
    intent.amountMinor,
    intent.currency,
    intent.counterparty,
    intent.holdId,
  );
  return inserted === 1 ? "queued" : "already_queued";
}
