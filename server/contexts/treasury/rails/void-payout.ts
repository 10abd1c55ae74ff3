// Voiding the hold of an approved payment that has not left (TREAS-004/007, UJ-3; ADR 0011): a
// finance controller or admin, with a note. During a crisis the payouts of a frozen venture wait
// with their budget held, and would go out on unfreeze; voiding releases the hold, fails the
// payment with the note as its reason and takes it off the payout queue, in one transaction.
//
// Only a payout the worker never began sending can be voided: once sending started, the rail may
// have it (an answer lost in transit looks the same as no answer), so voiding it could leave money
// gone that the ledger says stayed. The worker marks the row before its call in a statement that
// waits for this transaction's row lock, so the two cannot both go ahead (submit-payout.ts).
import { roleAllows } from "@/server/contexts/identity/roles";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import type { EventActor } from "@/server/shared/events/envelope";
import {
  getIntent,
  internalIntentCategories,
  lockIntentForSettlement,
  type MoneyIntentView,
  recordIntentSettlementFailed,
} from "../intents/api";
import type { RailName } from "./rail";

export type VoidPayoutOptions = {
  db: Db;
  actor: EventActor;
  correlationId: string;
  /** The person voiding: their user id (named in the reason) and portfolio role. */
  decider: { userId: string; role: Role };
  portfolioId: string;
  intentId: string;
  note: string;
  /** The rail the payment would have gone through, for a payment not queued yet. */
  defaultRail: RailName;
};

export async function voidPayout(options: VoidPayoutOptions): Promise<MoneyIntentView> {
  if (!roleAllows(options.decider.role, "intent.decide")) {
    throw new AppError("FORBIDDEN", `Your role ${options.decider.role} may not void payments`);
  }
  const note = typeof options.note === "string" ? options.note.trim() : "";
  if (note.length < 1 || note.length > 2_000) {
    throw new AppError("BAD_REQUEST", "Invalid input: note: 1-2000 characters", {
      fields: { note: "1-2000 characters" },
    });
  }
  await withTransaction(options.db, async (tx) => {
    // Intent first, then payout: the order of the claim and the settlement, so they cannot deadlock.
    const intent = await lockIntentForSettlement(tx, options.intentId);
    if (!intent || intent.portfolioId !== options.portfolioId) {
      throw new AppError("NOT_FOUND", `Money intent ${options.intentId} not found`);
    }
    if (intent.status !== "approved" || !intent.holdId) {
      throw new AppError(
        "UNPROCESSABLE",
        `Money intent ${intent.id} is ${intent.status.replace("_", " ")}: only an approved payment that has not left can be voided`,
        { reason: "intent_not_approved", status: intent.status },
      );
    }
    if (internalIntentCategories.includes(intent.category)) {
      throw new AppError(
        "UNPROCESSABLE",
        `Money intent ${intent.id} is a budget move, settled in the ledger when approved: there is no payment to void`,
        { reason: "not_a_payment" },
      );
    }
    const [payout] = await tx.$queryRawUnsafe<
      Array<{ rail: RailName; status: string; sending_started_at: Date | null }>
    >(
      "SELECT rail, status, sending_started_at FROM treasury_payouts WHERE intent_id = $1 FOR UPDATE",
      intent.id,
    );
    if (payout && (payout.status !== "submitting" || payout.sending_started_at !== null)) {
      throw new AppError(
        "UNPROCESSABLE",
        `The payment of money intent ${intent.id} was already sent to the ${payout.rail} rail: it cannot be voided; wait for the rail's answer`,
        { reason: "payout_sent", status: payout.status },
      );
    }
    const rail = payout?.rail ?? options.defaultRail;
    const reason = `Voided by ${options.decider.userId}: ${note}`;
    await recordIntentSettlementFailed(tx, options, intent, { rail, railReference: null, reason });
    // Off the queue for good; a payment not queued yet gets its final row now, so a late claim
    // finds it (and the intent no longer approved) and queues nothing.
    await tx.$executeRawUnsafe(
      `INSERT INTO treasury_payouts
         (intent_id, portfolio_id, venture_id, rail, amount_minor, currency, counterparty, hold_id, status,
          failure_reason, attempts, next_attempt_at, created_at, settled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'failed', $9, 0, now(), now(), now())
       ON CONFLICT (intent_id) DO UPDATE SET status = 'failed', failure_reason = $9, settled_at = now()`,
      intent.id,
      intent.portfolioId,
      intent.ventureId,
      rail,
      intent.amountMinor,
      intent.currency,
      intent.counterparty,
      intent.holdId,
      reason.slice(0, 2_000),
    );
  });
  return (await getIntent({ db: options.db, portfolioId: options.portfolioId, intentId: options.intentId }))!;
}
