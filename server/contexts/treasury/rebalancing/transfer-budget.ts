// Moving budget from one venture of a portfolio to another (ORCH-007, ADR 0016): a money intent of
// category budget_transfer, requested for the source venture with the target as its counterparty,
// decided by the same treasury policy as every intent (budget moves always need a finance
// controller's approval, two above the four-eyes threshold; paused, or either venture frozen →
// denied), with its hold on the source's budget so concurrent transfers and spends can never take
// more than it has. Approved (by the policy here, or later in the inbox) it settles at once into one
// ledger entry: see settle-transfer.ts. Denied or expired, the intent's hold is released as for any
// intent. Allocations (funding/allocate-budget.ts) work the same way from the treasury.
import { randomUUID } from "node:crypto";
import type { PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { principalId } from "../intents/create-intent";
import { createIntentFor } from "../intents/create-intent-for";
import { settleTransferIfAny, transferStream } from "./settle-transfer";
import { budgetTransferCategory, parseTransferInput, type TransferInput } from "./transfer-input";
import { getTransfer, type TransferView } from "./transfer-view";

/**
 * Requests a transfer; the same idempotency key with the same content returns the same one, with
 * other content it is a CONFLICT. Bad input (same venture twice, amount ≤ 0, a venture unknown or of
 * another portfolio, a currency that is not the ventures') → BAD_REQUEST naming the field, nothing
 * written. The answer says what happened: pending_approval (held on the source's budget), denied
 * (with the policy's reasons or the source's shortfall) or settled.
 */
export async function transferBudget(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  requester: PolicyPrincipal;
  input: Record<string, unknown>;
}): Promise<TransferView> {
  const input = parseTransferInput(options.input);
  if (options.requester.portfolioId !== input.portfolioId) {
    throw new AppError("FORBIDDEN", "The requester does not act in this portfolio");
  }
  // Kept apart from spends' and allocations' keys, so none of them answers for another.
  const key = `transfer:${input.idempotencyKey ?? `auto-${randomUUID()}`}`;
  const ctx = { actor: options.actor, correlationId: options.correlationId };
  const intentId = await withTransaction(options.db, async (tx) => {
    await assertVentures(tx, input);
    const { intent, existed } = await createIntentFor(tx, {
      db: options.db,
      ...ctx,
      requester: options.requester,
      holdOn: "venture_transfer",
      alsoFrozenWith: [input.toVentureId],
      recordTable: "treasury_budget_transfers",
      requestedKey: input.idempotencyKey,
      input: {
        portfolioId: input.portfolioId,
        ventureId: input.fromVentureId,
        amountMinor: input.amountMinor.toString(),
        currency: input.currency,
        counterparty: input.toVentureId,
        category: budgetTransferCategory,
        purpose: input.reason,
        idempotencyKey: key,
        expiresInMinutes: input.expiresInMinutes,
      },
    });
    if (existed) return intent.id;
    const requestedBy = principalId(options.requester);
    await appendEvents(tx, ctx, [
      {
        type: "treasury.budget_transfer_requested",
        stream: transferStream(intent.id),
        expectedVersion: 0,
        portfolioId: input.portfolioId,
        payload: {
          intentId: intent.id,
          portfolioId: input.portfolioId,
          fromVentureId: input.fromVentureId,
          toVentureId: input.toVentureId,
          amountMinor: input.amountMinor.toString(),
          currency: input.currency,
          reason: input.reason,
          requestedBy,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO treasury_budget_transfers (intent_id, portfolio_id, from_venture_id, to_venture_id,
         amount_minor, currency, reason, requested_by, created_at)
       VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8, now())`,
      intent.id,
      input.portfolioId,
      input.fromVentureId,
      input.toVentureId,
      input.amountMinor,
      input.currency,
      input.reason,
      requestedBy,
    );
    // A policy that approves budget moves outright (the default one never does) moves the budget now.
    if (intent.status === "approved") await settleTransferIfAny(tx, ctx, intent.id);
    return intent.id;
  });
  return (await getTransfer({ db: options.db, portfolioId: input.portfolioId, intentId }))!;
}

/**
 * Both ventures belong to the portfolio and keep their budget in the transfer's currency. A venture
 * of another portfolio reads as unknown: other tenants' ventures do not exist for the requester.
 */
async function assertVentures(tx: Tx, input: TransferInput): Promise<void> {
  const rows = await tx.$queryRawUnsafe<Array<{ id: string; portfolio_id: string; currency: string }>>(
    "SELECT id, portfolio_id, currency FROM ventures WHERE id = ANY($1::text[])",
    [input.fromVentureId, input.toVentureId],
  );
  const fields: Record<string, string> = {};
  const found = (id: string) => rows.find((r) => r.id === id && r.portfolio_id === input.portfolioId);
  const from = found(input.fromVentureId);
  const to = found(input.toVentureId);
  if (!from) fields.fromVentureId = `unknown venture ${input.fromVentureId} in this portfolio`;
  if (!to) fields.toVentureId = `unknown venture ${input.toVentureId} in this portfolio`;
  if (from && from.currency !== input.currency) {
    fields.currency = `must be ${from.currency}, the currency of the source venture's budget`;
  } else if (to && to.currency !== input.currency) {
    fields.currency = `must be ${to.currency}, the currency of the target venture's budget`;
  }
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([field, problem]) => `${field}: ${problem}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid budget transfer: ${summary}`, { fields });
  }
}
