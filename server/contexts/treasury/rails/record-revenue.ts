// Revenue (TREAS-008): an incoming payment posted to the venture's books — debit `cash`, credit
// `revenue`, one entry per rail transaction — with treasury.revenue_received, in the caller's
// transaction. Idempotent by (rail, reference): Stripe reports one payment twice (its payment
// intent and its charge), and webhooks are delivered more than once; the second report finds the
// receipt and changes nothing.
import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { isCurrency } from "../ledger/currency";
import { postEntry } from "../ledger/post-entries";
import { ledgerEvents, recordAccountsOpened } from "../ledger/record";
import type { RailName } from "./rail";

export type RevenueInput = {
  rail: RailName;
  railReference: string;
  ventureId: string;
  amountMinor: bigint;
  currency: string;
  customer: string | null;
  railCreatedAt: Date;
};

export type RecordedRevenue = {
  receiptId: string;
  portfolioId: string;
  entryId: string;
  duplicate: boolean;
};

export async function recordRevenue(
  tx: Tx,
  ctx: CommandContext,
  input: RevenueInput,
): Promise<RecordedRevenue> {
  if (input.amountMinor <= 0n) {
    throw new AppError("BAD_REQUEST", "A payment amount must be positive", {
      fields: { amountMinor: "positive" },
    });
  }
  if (!isCurrency(input.currency)) {
    throw new AppError("BAD_REQUEST", `Currency ${input.currency} is not one the ledger knows`, {
      fields: { currency: "an ISO 4217 code the ledger knows" },
    });
  }
  // The two reports of one payment may arrive at once: they queue here.
  await tx.$executeRawUnsafe(
    "SELECT pg_advisory_xact_lock(hashtextextended($1, 11))",
    `${input.rail}:${input.railReference}`,
  );
  const [existing] = await tx.$queryRawUnsafe<Array<{ id: string; portfolio_id: string; entry_id: string }>>(
    "SELECT id, portfolio_id, entry_id FROM treasury_receipts WHERE rail = $1 AND rail_reference = $2",
    input.rail,
    input.railReference,
  );
  if (existing) {
    return {
      receiptId: existing.id,
      portfolioId: existing.portfolio_id,
      entryId: existing.entry_id,
      duplicate: true,
    };
  }
  const [venture] = await tx.$queryRawUnsafe<Array<{ portfolio_id: string }>>(
    "SELECT portfolio_id FROM ventures WHERE id = $1",
    input.ventureId,
  );
  if (!venture) {
    throw new AppError("NOT_FOUND", `Venture ${input.ventureId} not found`, {
      fields: { ventureId: "unknown" },
    });
  }
  const portfolioId = venture.portfolio_id;
  await recordAccountsOpened(tx, ctx, {
    portfolioId,
    ventureId: input.ventureId,
    currency: input.currency,
  });
  const entry = await postEntry(tx, {
    id: `revenue:${input.rail}:${input.railReference}`,
    // No customer here: a ledger memo is immutable and in clear, while the customer is personal
    // data sealed in treasury.revenue_received (docs/decisions/0013).
    memo: `payment ${input.railReference} via ${input.rail}`.slice(0, 500),
    postings: [
      { accountId: `${input.ventureId}:cash:${input.currency}`, amountMinor: input.amountMinor },
      { accountId: `${input.ventureId}:revenue:${input.currency}`, amountMinor: -input.amountMinor },
    ],
  });
  const receiptId = newId("receipt");
  await appendEvents(tx, ctx, [
    ledgerEvents.entryPosted(entry),
    {
      type: "treasury.revenue_received",
      stream: { type: "treasury_receipt", id: receiptId },
      expectedVersion: 0,
      portfolioId,
      payload: {
        receiptId,
        portfolioId,
        ventureId: input.ventureId,
        rail: input.rail,
        railReference: input.railReference,
        amountMinor: input.amountMinor.toString(),
        currency: input.currency,
        customer: input.customer,
        entryId: entry.entryId,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    `INSERT INTO treasury_receipts
       (id, portfolio_id, venture_id, rail, rail_reference, amount_minor, currency, customer, entry_id,
        rail_created_at, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())`,
    receiptId,
    portfolioId,
    input.ventureId,
    input.rail,
    input.railReference,
    input.amountMinor,
    input.currency,
    input.customer,
    entry.entryId,
    input.railCreatedAt,
  );
  return { receiptId, portfolioId, entryId: entry.entryId, duplicate: false };
}
