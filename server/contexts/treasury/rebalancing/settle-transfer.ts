// Settling an approved budget transfer (ADR 0016), inside the transaction that approved it: the
// budget moves between two books of our own ledger, so there is no rail to wait for. The source's
// hold is released into ONE entry of four postings — the target's budget debited against its
// equity, the source's budget credited against its equity — so each book balances on its own and
// every trial balance stays zero. The four accounts are locked in id order first, so the release and
// the posting happen under one set of locks: nothing else can take the released amount in between,
// and two opposite transfers approved at once queue instead of deadlocking.
import type { Tx } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { accountId } from "../ledger/accounts";
import type { Currency } from "../ledger/currency";
import { postEntry } from "../ledger/post-entries";
import { ledgerEvents, recordAccountsOpened } from "../ledger/record";
import { voidHold } from "../ledger/void-hold";

export const transferStream = (intentId: string) => ({ type: "budget_transfer", id: intentId });

/** The one ledger entry of a settled transfer. */
export const transferEntryId = (intentId: string) => `${intentId}:transfer`;

type Row = {
  portfolio_id: string;
  from_venture_id: string;
  to_venture_id: string;
  amount_minor: bigint;
  currency: string;
  settled_at: Date | null;
  intent_status: string;
  hold_id: string | null;
};

/**
 * Settles the transfer behind money intent `intentId` if there is one and it has not settled yet;
 * returns false for any other intent. The intent must be approved (asserted). Locks the transfer
 * row, so a second call waits and then finds it settled.
 */
export async function settleTransferIfAny(tx: Tx, ctx: CommandContext, intentId: string): Promise<boolean> {
  const [row] = await tx.$queryRawUnsafe<Row[]>(
    `SELECT t.portfolio_id, t.from_venture_id, t.to_venture_id, t.amount_minor, t.currency::text AS currency,
            t.settled_at, i.status AS intent_status, i.hold_id
       FROM treasury_budget_transfers t JOIN money_intents i ON i.id = t.intent_id
      WHERE t.intent_id = $1
      FOR UPDATE OF t`,
    intentId,
  );
  if (!row) return false;
  if (row.settled_at) return true;
  invariant(row.intent_status === "approved", `budget transfer ${intentId} settles only once approved`);
  invariant(row.hold_id !== null, `approved budget transfer ${intentId} has a hold on the source's budget`);
  const currency = row.currency as Currency;
  const from = (code: string) => accountId({ bookId: row.from_venture_id, code, currency });
  const to = (code: string) => accountId({ bookId: row.to_venture_id, code, currency });
  // The target may never have had a book in this currency (its whole chart, as an allocation opens).
  await recordAccountsOpened(tx, ctx, {
    portfolioId: row.portfolio_id,
    ventureId: row.to_venture_id,
    currency,
  });
  await tx.$queryRawUnsafe(
    "SELECT id FROM ledger_accounts WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE",
    [from("budget"), from("equity"), to("budget"), to("equity")],
  );
  const released = await voidHold(tx, { holdId: row.hold_id });
  invariant(
    released.heldMinor === row.amount_minor,
    `budget transfer ${intentId} held ${released.heldMinor}, expected ${row.amount_minor}`,
  );
  const memo = `budget transfer ${intentId} from ${row.from_venture_id} to ${row.to_venture_id} (hold ${row.hold_id})`;
  const entry = await postEntry(tx, {
    id: transferEntryId(intentId),
    memo,
    postings: [
      { accountId: to("budget"), amountMinor: row.amount_minor },
      { accountId: to("equity"), amountMinor: -row.amount_minor },
      { accountId: from("equity"), amountMinor: row.amount_minor },
      { accountId: from("budget"), amountMinor: -row.amount_minor },
    ],
  });
  await appendEvents(tx, ctx, [
    ledgerEvents.holdResolved(released),
    ledgerEvents.entryPosted(entry),
    {
      type: "treasury.budget_transfer_settled",
      stream: transferStream(intentId),
      expectedVersion: 1,
      portfolioId: row.portfolio_id,
      payload: {
        intentId,
        portfolioId: row.portfolio_id,
        fromVentureId: row.from_venture_id,
        toVentureId: row.to_venture_id,
        amountMinor: row.amount_minor.toString(),
        currency,
        holdId: row.hold_id,
        entryId: entry.entryId,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    "UPDATE treasury_budget_transfers SET entry_id = $2, settled_at = now() WHERE intent_id = $1",
    intentId,
    entry.entryId,
  );
  return true;
}
