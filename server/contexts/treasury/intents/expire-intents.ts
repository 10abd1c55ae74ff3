// The intent expiry job (TREAS-006): pending intents nobody decided before their expiry become
// expired and their holds are released, by the database clock (the same clock that makes a hold
// expire, so an intent and its hold expire together). Safe to run from several workers at once:
// each intent row is claimed with SKIP LOCKED, each hold resolves once.
import { type Db, withTransaction } from "@/server/shared/db";
import { appendEvents, type CommandContext, type NewEvent } from "@/server/shared/events/store";
import { maxExpiriesPerCall } from "../ledger/expire-holds";
import { ledgerEvents, recordHoldsExpired } from "../ledger/record";
import { voidHold } from "../ledger/void-hold";
import { intentStream } from "./create-intent";

export const maxIntentExpiriesPerCall = 200;

/** Expires up to `limit` due intents in one transaction; returns their ids (fewer than limit: done). */
export async function expireIntents(
  options: CommandContext & { db: Db; limit?: number },
): Promise<{ expired: string[] }> {
  const limit = Math.min(Math.max(options.limit ?? maxIntentExpiriesPerCall, 1), maxIntentExpiriesPerCall);
  return withTransaction(options.db, async (tx) => {
    const due = await tx.$queryRawUnsafe<
      Array<{ id: string; portfolio_id: string; hold_id: string | null; expires_at: Date; version: number }>
    >(
      `SELECT id, portfolio_id, hold_id, expires_at, version FROM money_intents
        WHERE status = 'pending_approval' AND expires_at <= now()
        ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      limit,
    );
    if (due.length === 0) return { expired: [] };
    // A hold can no longer be voided once it has expired; the ledger's expiry releases it (and
    // every other due hold) with its own treasury.hold_expired event.
    for (;;) {
      const { resolutions } = await recordHoldsExpired(tx, options, { limit: maxExpiriesPerCall });
      if (resolutions.length < maxExpiriesPerCall) break;
    }
    // A hold that outlives its intent (the intent's expiry is earlier than the hold's, e.g. an
    // operator shortened it) is voided, so the amount is available again either way.
    const open = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT h.id FROM ledger_holds h
        WHERE h.id = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM ledger_hold_resolutions r WHERE r.hold_id = h.id)`,
      due.flatMap((intent) => (intent.hold_id ? [intent.hold_id] : [])),
    );
    const events: NewEvent[] = [];
    for (const hold of open) events.push(ledgerEvents.holdResolved(await voidHold(tx, { holdId: hold.id })));
    events.push(
      ...due.map(
        (intent): NewEvent => ({
          type: "treasury.intent_expired",
          stream: intentStream(intent.id),
          expectedVersion: intent.version,
          portfolioId: intent.portfolio_id,
          payload: {
            intentId: intent.id,
            holdId: intent.hold_id,
            expiresAt: intent.expires_at.toISOString(),
          },
        }),
      ),
    );
    await appendEvents(tx, options, events);
    await tx.$executeRawUnsafe(
      `UPDATE money_intents
          SET status = 'expired', version = version + 1,
              reasons = array_append(reasons, 'Expired at ' || to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' without a decision')
        WHERE id = ANY($1::text[])`,
      due.map((intent) => intent.id),
    );
    return { expired: due.map((intent) => intent.id) };
  });
}
