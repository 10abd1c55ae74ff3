// Step two of paying an approved intent (ADR 0011): send the queued payout to its rail, outside
// any transaction (an HTTP call must not hold row locks, ADR 0007), then record what the rail said.
//
// Exactly once: the rail's idempotency key is the intent id, so a submit repeated for any reason
// (a retry, two workers, a crash between the rail's answer and our commit) returns the payout the
// rail already made instead of paying again. Recording is guarded by the row's status: only a
// payout still `submitting` moves to `submitted`.
//
// Fail closed: nothing is sent while the kill-switch is paused or the venture's treasury is frozen
// (both checked in PostgreSQL right before the call; the payout waits, its hold still reserved, and
// goes out after resume or unfreeze), and a hold about to expire is not sent (the money could leave
// after the budget reservation lapsed). A rail that refuses (bad request, insufficient funds) fails the payout at
// once; one that cannot be reached is retried with backoff up to a limit, then the payout fails.
import { lockControlState } from "@/server/contexts/control/api";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { CommandContext } from "@/server/shared/events/store";
import type { Logger } from "@/server/shared/logger";
import { freezesFor, lockIntentForSettlement, recordSettlementSubmitted } from "../intents/api";
import { applyPayoutOutcome } from "./apply-payout-outcome";
import { backoffDelayMs, type PayoutLimits, type PayoutRow, readPayout } from "./payout-rows";
import { RailError, type RailPayout } from "./rail";
import type { Rails } from "./settings";

export type PayoutContext = CommandContext & {
  db: Db;
  rails: Rails;
  limits: PayoutLimits;
  log?: Logger;
};

export type SubmitResult = "submitted" | "settled" | "failed" | "paused" | "frozen" | "retry" | "skipped";

/** How long a payout held back by a pause or a freeze waits before it is looked at again. */
const heldBackMs = 2_000;

export async function submitPayout(ctx: PayoutContext, intentId: string): Promise<SubmitResult> {
  const { db } = ctx;
  const checked = await withTransaction(db, async (tx) => {
    const payout = await readPayout(tx, intentId);
    if (payout?.status !== "submitting") return { go: false as const, why: "skipped" as const };
    const heldBack =
      (await lockControlState(tx)).state === "paused"
        ? ("paused" as const)
        : (await freezesFor(tx, payout.portfolio_id, payout.venture_id)).length > 0
          ? ("frozen" as const)
          : null;
    if (heldBack) {
      await tx.$executeRawUnsafe(
        `UPDATE treasury_payouts SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
          WHERE intent_id = $1`,
        intentId,
        heldBackMs,
      );
      return { go: false as const, why: heldBack };
    }
    const [hold] = await tx.$queryRawUnsafe<Array<{ expires_at: Date; resolved: boolean }>>(
      `SELECT h.expires_at, EXISTS (SELECT 1 FROM ledger_hold_resolutions r WHERE r.hold_id = h.id) AS resolved
         FROM ledger_holds h WHERE h.id = $1`,
      payout.hold_id,
    );
    const marginOk =
      hold && !hold.resolved && hold.expires_at.getTime() - Date.now() > ctx.limits.holdMarginMs;
    // Mark it as being sent before the call, only while it is still waiting: a finance controller's
    // void (void-payout.ts) locks the row, so either it sees this mark and refuses, or this update
    // finds the payout no longer submitting and nothing is sent.
    const marked = await tx.$executeRawUnsafe(
      `UPDATE treasury_payouts SET sending_started_at = now() WHERE intent_id = $1 AND status = 'submitting'`,
      intentId,
    );
    if (marked === 0) return { go: false as const, why: "skipped" as const };
    return { go: true as const, payout, marginOk: Boolean(marginOk) };
  });
  if (!checked.go) return checked.why;
  const { payout } = checked;
  if (!checked.marginOk) {
    return fail(ctx, payout, null, "The budget hold expires too soon (or was released) to pay it safely");
  }

  let answer: RailPayout;
  try {
    const rail = ctx.rails.get(payout.rail);
    const intentPurpose = await db.$queryRawUnsafe<Array<{ purpose: string }>>(
      "SELECT purpose FROM money_intents WHERE id = $1",
      intentId,
    );
    answer = await rail.submitPayout({
      idempotencyKey: payout.intent_id,
      intentId: payout.intent_id,
      portfolioId: payout.portfolio_id,
      ventureId: payout.venture_id,
      amountMinor: payout.amount_minor,
      currency: payout.currency,
      counterparty: payout.counterparty,
      description: intentPurpose[0]?.purpose ?? `money intent ${intentId}`,
    });
  } catch (error) {
    const railError =
      error instanceof RailError
        ? error
        : error instanceof AppError && error.code === "UNAVAILABLE"
          ? new RailError(error.message, true)
          : new RailError(error instanceof Error ? error.message : String(error), true);
    ctx.log?.warn(
      { intentId, err: railError.message, retryable: railError.retryable },
      "payout submission failed",
    );
    if (!railError.retryable) return fail(ctx, payout, null, railError.message);
    return retryLater(ctx, payout, railError.message);
  }

  return withTransaction(db, async (tx) => {
    const intent = await lockIntentForSettlement(tx, intentId);
    const current = await readPayout(tx, intentId, true);
    if (!intent || current?.status !== "submitting") return "skipped";
    await recordSettlementSubmitted(tx, ctx, intent, { rail: payout.rail, railReference: answer.reference });
    await tx.$executeRawUnsafe(
      `UPDATE treasury_payouts
          SET status = 'submitted', rail_reference = $2, rail_status = $3, rail_created_at = $4,
              submitted_at = now(), attempts = attempts + 1,
              next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        WHERE intent_id = $1`,
      intentId,
      answer.reference,
      answer.status,
      answer.createdAt,
      ctx.limits.pollMs,
    );
    if (answer.status === "pending") return "submitted";
    // A rail that answers at once (an instant payout, or a refusal after acceptance).
    const applied = await applyPayoutOutcome(
      tx,
      ctx,
      intentId,
      answer.status === "paid"
        ? { status: "paid", railReference: answer.reference }
        : {
            status: "failed",
            railReference: answer.reference,
            reason: answer.failureReason ?? "the rail failed the payout",
          },
    );
    return applied === "settled" ? "settled" : applied === "failed" ? "failed" : "skipped";
  });
}

async function retryLater(ctx: PayoutContext, payout: PayoutRow, reason: string): Promise<SubmitResult> {
  const attempts = payout.attempts + 1;
  if (attempts >= ctx.limits.submitAttemptsMax) {
    return fail(ctx, payout, null, `The rail could not be reached after ${attempts} attempts: ${reason}`);
  }
  await ctx.db.$executeRawUnsafe(
    `UPDATE treasury_payouts
        SET attempts = $2, failure_reason = $3,
            next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
      WHERE intent_id = $1 AND status = 'submitting'`,
    payout.intent_id,
    attempts,
    reason.slice(0, 2_000),
    backoffDelayMs(ctx.limits, attempts),
  );
  return "retry";
}

async function fail(
  ctx: PayoutContext,
  payout: PayoutRow,
  railReference: string | null,
  reason: string,
): Promise<SubmitResult> {
  return withTransaction(ctx.db, async (tx) => {
    await lockIntentForSettlement(tx, payout.intent_id);
    const current = await readPayout(tx, payout.intent_id, true);
    if (current?.status !== "submitting") return "skipped";
    await applyPayoutOutcome(tx, ctx, payout.intent_id, { status: "failed", railReference, reason });
    return "failed";
  });
}
