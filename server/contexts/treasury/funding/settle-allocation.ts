// Settling an approved budget allocation (ADR 0012), inside the transaction that approved it: an
// allocation moves money between two books of our own ledger, so there is no rail to wait for. The
// treasury's hold is posted (cash to venture_funding) and the venture's budget is credited against
// its equity; each book balances on its own, so every trial balance stays zero.
import type { Tx } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { accountId } from "../ledger/accounts";
import type { Currency } from "../ledger/currency";
import { postEntry } from "../ledger/post-entries";
import { postHold } from "../ledger/post-hold";
import { ledgerEvents } from "../ledger/record";

export const allocationStream = (intentId: string) => ({ type: "budget_allocation", id: intentId });

type Row = {
  portfolio_id: string;
  venture_id: string;
  amount_minor: bigint;
  currency: string;
  settled_at: Date | null;
  intent_status: string;
  hold_id: string | null;
};

/**
 * Settles the allocation behind money intent `intentId` if there is one and it has not settled yet;
 * returns false for any other intent (a spend), which the rails settle instead. The intent must be
 * approved (asserted). Locks the allocation row, so a second call waits and then finds it settled.
 */
export async function settleAllocationIfAny(tx: Tx, ctx: CommandContext, intentId: string): Promise<boolean> {
  const [row] = await tx.$queryRawUnsafe<Row[]>(
    `SELECT a.portfolio_id, a.venture_id, a.amount_minor, a.currency::text AS currency, a.settled_at,
            i.status AS intent_status, i.hold_id
       FROM treasury_allocations a JOIN money_intents i ON i.id = a.intent_id
      WHERE a.intent_id = $1
      FOR UPDATE OF a`,
    intentId,
  );
  if (!row) return false;
  if (row.settled_at) return true;
  invariant(row.intent_status === "approved", `allocation ${intentId} settles only once approved`);
  invariant(row.hold_id !== null, `approved allocation ${intentId} has a hold on the treasury`);
  const currency = row.currency as Currency;
  const memo = `budget allocation ${intentId} to ${row.venture_id}`;
  const resolution = await postHold(tx, { holdId: row.hold_id, memo });
  const venture = (code: string) => accountId({ bookId: row.venture_id, code, currency });
  const ventureEntry = await postEntry(tx, {
    id: `${intentId}:allocation`,
    memo,
    postings: [
      { accountId: venture("budget"), amountMinor: row.amount_minor },
      { accountId: venture("equity"), amountMinor: -row.amount_minor },
    ],
  });
  await appendEvents(tx, ctx, [
    ledgerEvents.holdResolved(resolution),
    ledgerEvents.entryPosted(ventureEntry),
    {
      type: "treasury.allocation_settled",
      stream: allocationStream(intentId),
      expectedVersion: 1,
      portfolioId: row.portfolio_id,
      payload: {
        intentId,
        portfolioId: row.portfolio_id,
        ventureId: row.venture_id,
        amountMinor: row.amount_minor.toString(),
        currency,
        treasuryEntryId: resolution.entry!.entryId,
        ventureEntryId: ventureEntry.entryId,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    "UPDATE treasury_allocations SET venture_entry_id = $2, settled_at = now() WHERE intent_id = $1",
    intentId,
    ventureEntry.entryId,
  );
  return true;
}
