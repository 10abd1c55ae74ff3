// What happens to an approved money intent after its decision (TREAS-004/008): a rail accepted its
// payout (submitted), the rail paid (settled: the hold is posted) or it did not (failed: the hold is
// voided, the reason recorded). Each step appends its event to the intent's stream and moves the
// intent row in the caller's transaction; the rails module decides when, this file decides how.
import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { RailName } from "@/server/shared/events/catalog/treasury-rails";
import { appendEvents, type CommandContext, type NewEvent } from "@/server/shared/events/store";
import { maxExpiriesPerCall } from "../ledger/expire-holds";
import { type PostedEntry, postEntry } from "../ledger/post-entries";
import { postHold } from "../ledger/post-hold";
import { ledgerEvents, recordHoldsExpired } from "../ledger/record";
import { voidHold } from "../ledger/void-hold";
import { intentStream } from "./create-intent";

export type SettlingIntent = {
  id: string;
  portfolioId: string;
  ventureId: string;
  status: string;
  category: string;
  counterparty: string;
  purpose: string;
  amountMinor: bigint;
  currency: string;
  holdId: string | null;
  expiresAt: Date;
  version: number;
};

type IntentRow = {
  id: string;
  portfolio_id: string;
  venture_id: string;
  status: string;
  category: string;
  counterparty: string;
  purpose: string;
  amount_minor: bigint;
  currency: string;
  hold_id: string | null;
  expires_at: Date;
  version: number;
};

/**
 * Categories that move money between our own books (a budget allocation or transfer): they are
 * settled in the ledger by whoever owns them and never paid out through a rail.
 */
export const internalIntentCategories: readonly string[] = ["budget_allocation", "budget_transfer"];

/** Locks the intent row FOR UPDATE and reads it; null when there is no such intent. */
export async function lockIntentForSettlement(tx: Tx, intentId: string): Promise<SettlingIntent | null> {
  const [row] = await tx.$queryRawUnsafe<IntentRow[]>(
    `SELECT id, portfolio_id, venture_id, status, category, counterparty, purpose, amount_minor, currency,
            hold_id, expires_at, version
       FROM money_intents WHERE id = $1 FOR UPDATE`,
    intentId,
  );
  if (!row) return null;
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    ventureId: row.venture_id,
    status: row.status,
    category: row.category,
    counterparty: row.counterparty,
    purpose: row.purpose,
    amountMinor: row.amount_minor,
    currency: row.currency,
    holdId: row.hold_id,
    expiresAt: row.expires_at,
    version: row.version,
  };
}

async function bump(tx: Tx, intent: SettlingIntent, events: number, status?: string): Promise<void> {
  await tx.$executeRawUnsafe(
    "UPDATE money_intents SET version = version + $2, status = coalesce($3, status) WHERE id = $1",
    intent.id,
    events,
    status ?? null,
  );
}

function assertApproved(intent: SettlingIntent, what: string): string {
  if (intent.status !== "approved" || !intent.holdId) {
    throw new AppError("UNPROCESSABLE", `Money intent ${intent.id} is ${intent.status}: cannot ${what}`, {
      reason: "intent_not_approved",
      status: intent.status,
    });
  }
  return intent.holdId;
}

/** The rail accepted the payout; the intent stays approved until it settles or fails. */
export async function recordSettlementSubmitted(
  tx: Tx,
  ctx: CommandContext,
  intent: SettlingIntent,
  submitted: { rail: RailName; railReference: string },
): Promise<void> {
  assertApproved(intent, "submit it for settlement");
  await appendEvents(tx, ctx, [
    {
      type: "treasury.intent_settlement_submitted",
      stream: intentStream(intent.id),
      expectedVersion: intent.version,
      portfolioId: intent.portfolioId,
      payload: {
        intentId: intent.id,
        rail: submitted.rail,
        railReference: submitted.railReference,
        amountMinor: intent.amountMinor.toString(),
        currency: intent.currency,
      },
    },
  ]);
  await bump(tx, intent, 1);
  intent.version += 1;
}

/**
 * The rail paid: posts the intent's hold (the expense is recognised and the budget drained) and
 * marks the intent settled. If the hold expired meanwhile (a long pause, a slow rail), the money
 * has still left: the expiry is applied and the same amount is posted as a late entry between the
 * same accounts, which the budget's floor may refuse (then the caller retries and a person looks).
 */
export async function recordIntentSettled(
  tx: Tx,
  ctx: CommandContext,
  intent: SettlingIntent,
  settled: { rail: RailName; railReference: string },
): Promise<{ entryId: string }> {
  const holdId = assertApproved(intent, "settle it");
  const events: NewEvent[] = [];
  let entry: PostedEntry;
  try {
    const resolution = await withSavepoint(tx, () =>
      postHold(tx, {
        holdId,
        memo: `money intent ${intent.id} paid by ${settled.rail} ${settled.railReference}`,
      }),
    );
    events.push(ledgerEvents.holdResolved(resolution));
    entry = resolution.entry!;
  } catch (error) {
    if (!(error instanceof AppError) || error.details.reason !== "hold_expired") throw error;
    // Release every hold that is due (this one among them), then post what was paid.
    await recordHoldsExpired(tx, ctx, { limit: maxExpiriesPerCall });
    const [hold] = await tx.$queryRawUnsafe<Array<{ debit_account_id: string; credit_account_id: string }>>(
      "SELECT debit_account_id, credit_account_id FROM ledger_holds WHERE id = $1",
      holdId,
    );
    if (!hold) throw error;
    entry = await postEntry(tx, {
      id: `${holdId}:late-post`,
      memo: `money intent ${intent.id} paid by ${settled.rail} ${settled.railReference} after its hold expired`,
      postings: [
        { accountId: hold.debit_account_id, amountMinor: intent.amountMinor },
        { accountId: hold.credit_account_id, amountMinor: -intent.amountMinor },
      ],
    });
    events.push(ledgerEvents.entryPosted(entry));
  }
  events.push({
    type: "treasury.intent_settled",
    stream: intentStream(intent.id),
    expectedVersion: intent.version,
    portfolioId: intent.portfolioId,
    payload: {
      intentId: intent.id,
      rail: settled.rail,
      railReference: settled.railReference,
      holdId,
      entryId: entry.entryId,
      amountMinor: intent.amountMinor.toString(),
      currency: intent.currency,
    },
  });
  await appendEvents(tx, ctx, events);
  await bump(tx, intent, 1, "settled");
  intent.version += 1;
  intent.status = "settled";
  return { entryId: entry.entryId };
}

/**
 * The payout failed or could not be made: voids the hold (the amount is available again; a hold
 * that already expired was released by the expiry job) and marks the intent failed with the reason.
 */
export async function recordIntentSettlementFailed(
  tx: Tx,
  ctx: CommandContext,
  intent: SettlingIntent,
  failed: { rail: RailName; railReference: string | null; reason: string },
): Promise<void> {
  const holdId = assertApproved(intent, "record its failure");
  const events: NewEvent[] = [];
  try {
    events.push(ledgerEvents.holdResolved(await withSavepoint(tx, () => voidHold(tx, { holdId }))));
  } catch (error) {
    const reason = error instanceof AppError ? error.details.reason : null;
    if (reason !== "hold_expired" && reason !== "hold_resolved") throw error;
  }
  events.push({
    type: "treasury.intent_settlement_failed",
    stream: intentStream(intent.id),
    expectedVersion: intent.version,
    portfolioId: intent.portfolioId,
    payload: {
      intentId: intent.id,
      rail: failed.rail,
      railReference: failed.railReference,
      holdId,
      reason: failed.reason.slice(0, 2_000),
    },
  });
  await appendEvents(tx, ctx, events);
  await tx.$executeRawUnsafe(
    "UPDATE money_intents SET reasons = array_append(reasons, $2) WHERE id = $1",
    intent.id,
    `Payment failed: ${failed.reason.slice(0, 2_000)}`,
  );
  await bump(tx, intent, 1, "failed");
  intent.version += 1;
  intent.status = "failed";
}

/** A statement that may fail without aborting the caller's transaction. */
async function withSavepoint<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
  await tx.$executeRawUnsafe("SAVEPOINT intent_settlement");
  try {
    const result = await fn();
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT intent_settlement");
    return result;
  } catch (error) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT intent_settlement");
    throw error;
  }
}
