// The payout loop's step (ADR 0011): everything on the queue that is due — payouts to submit
// (first time, or a retry after the rail could not be reached) and submitted payouts whose status
// to ask the rail (unless a webhook already told us). The caller (the worker loop) asks the
// kill-switch gate first; each step also checks PostgreSQL, so nothing is paid or settled while
// paused even if a gate is late to hear it.
import { withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { applyPayoutOutcome } from "./apply-payout-outcome";
import { type PayoutRow, payoutColumns } from "./payout-rows";
import { RailError } from "./rail";
import { type PayoutContext, submitPayout } from "./submit-payout";

export type PayoutRound = {
  submitted: number;
  settled: number;
  failed: number;
  pending: number;
  paused: number;
  frozen: number;
  retried: number;
  /** Ventures whose payouts settled in this round (for the burn check). */
  settledVentures: Set<string>;
};

export async function processDuePayouts(
  ctx: PayoutContext,
  options: { limit: number },
): Promise<PayoutRound> {
  const round: PayoutRound = {
    submitted: 0,
    settled: 0,
    failed: 0,
    pending: 0,
    paused: 0,
    frozen: 0,
    retried: 0,
    settledVentures: new Set(),
  };
  const due = await ctx.db.$queryRawUnsafe<PayoutRow[]>(
    `SELECT ${payoutColumns} FROM treasury_payouts
      WHERE status IN ('submitting', 'submitted') AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT $1`,
    options.limit,
  );
  for (const payout of due) {
    // One correlation per intent's settlement, so its events can be followed across rounds.
    const step = { ...ctx, correlationId: `cor_settle_${payout.intent_id}` };
    if (payout.status === "submitting") {
      const result = await submitPayout(step, payout.intent_id);
      if (result === "submitted") round.submitted++;
      else if (result === "settled") {
        round.settled++;
        round.settledVentures.add(payout.venture_id);
      } else if (result === "failed") round.failed++;
      else if (result === "paused") round.paused++;
      else if (result === "frozen") round.frozen++;
      else if (result === "retry") round.retried++;
      continue;
    }
    const result = await checkSubmitted(step, payout);
    if (result === "settled") {
      round.settled++;
      round.settledVentures.add(payout.venture_id);
    } else if (result === "failed") round.failed++;
    else if (result === "paused") round.paused++;
    else round.pending++;
  }
  return round;
}

async function checkSubmitted(
  ctx: PayoutContext,
  payout: PayoutRow,
): Promise<"settled" | "failed" | "pending" | "paused"> {
  let status = payout.rail_status;
  let reason = payout.failure_reason;
  // A webhook may already have told us the outcome; otherwise ask the rail.
  if (status !== "paid" && status !== "failed") {
    try {
      const answer = await ctx.rails.get(payout.rail).fetchPayout(payout.rail_reference!);
      status = answer.status;
      reason = answer.failureReason;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.log?.warn({ intentId: payout.intent_id, err: message }, "payout status unavailable");
      if (error instanceof RailError && !error.retryable) {
        status = "failed";
        reason = message;
      } else {
        status = "pending";
      }
    }
  }
  if (status !== "paid" && status !== "failed") {
    await ctx.db.$executeRawUnsafe(
      `UPDATE treasury_payouts
          SET rail_status = $2, next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE intent_id = $1 AND status = 'submitted'`,
      payout.intent_id,
      status,
      ctx.limits.pollMs,
    );
    return "pending";
  }
  try {
    const applied = await withTransaction(ctx.db, (tx) =>
      applyPayoutOutcome(
        tx,
        ctx,
        payout.intent_id,
        status === "paid"
          ? { status: "paid", railReference: payout.rail_reference! }
          : {
              status: "failed",
              railReference: payout.rail_reference,
              reason: reason ?? "the rail failed the payout",
            },
      ),
    );
    return applied === "failed" ? "failed" : applied === "settled" ? "settled" : "pending";
  } catch (error) {
    if (error instanceof AppError && error.code === "UNPROCESSABLE" && error.details.paused) return "paused";
    throw error;
  }
}
