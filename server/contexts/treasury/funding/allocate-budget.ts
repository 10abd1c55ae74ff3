// Budget from the portfolio treasury to a venture (ADR 0012, ORCH-007): a money intent of category
// budget_allocation, decided by the same treasury policy (budget moves always need a finance
// controller's approval; paused or frozen → denied), with its hold on the treasury's cash so
// concurrent allocations can never promise more than the treasury has. Approved (by the policy here,
// or later in the inbox) it settles at once: see settle-allocation.ts.
import { randomUUID } from "node:crypto";
import type { PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { principalId } from "../intents/create-intent";
import { createIntentFor } from "../intents/create-intent-for";
import { type AllocationView, getAllocation } from "./allocation-view";
import { parseAllocationInput } from "./funding-input";
import { allocationStream, settleAllocationIfAny } from "./settle-allocation";

/** The counterparty of every allocation: the money stays inside the portfolio. */
export const allocationCounterparty = "portfolio-treasury";
export const allocationCategory = "budget_allocation";

/**
 * Requests an allocation; the same idempotency key with the same content returns the same one,
 * with other content it is a CONFLICT. Bad input → BAD_REQUEST naming the fields, nothing written.
 * The answer says what happened: pending_approval (held on the treasury), denied (with the
 * policy's reasons or the treasury's shortfall) or settled.
 */
export async function allocateBudget(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  requester: PolicyPrincipal;
  input: Record<string, unknown>;
  /**
   * Who asks on the treasury's behalf, when not a person at a form: a scale-up playbook names
   * "scale-up-playbook", which a policy guardrail sends to two distinct approvers (ADR 0017).
   * Default: the portfolio treasury.
   */
  counterparty?: string;
}): Promise<AllocationView> {
  const input = parseAllocationInput(options.input);
  if (options.requester.portfolioId !== input.portfolioId) {
    throw new AppError("FORBIDDEN", "The requester does not act in this portfolio");
  }
  // Kept apart from spends' keys, so an allocation and a spend never answer for each other.
  const key = `allocation:${input.idempotencyKey ?? `auto-${randomUUID()}`}`;
  const ctx = { actor: options.actor, correlationId: options.correlationId };
  const intentId = await withTransaction(options.db, async (tx) => {
    const { intent, existed } = await createIntentFor(tx, {
      db: options.db,
      ...ctx,
      requester: options.requester,
      holdOn: "portfolio_treasury",
      recordTable: "treasury_allocations",
      requestedKey: input.idempotencyKey,
      input: {
        portfolioId: input.portfolioId,
        ventureId: input.ventureId,
        amountMinor: input.amountMinor.toString(),
        currency: input.currency,
        counterparty: options.counterparty ?? allocationCounterparty,
        category: allocationCategory,
        purpose: input.reason,
        idempotencyKey: key,
        expiresInMinutes: input.expiresInMinutes,
      },
    });
    if (existed) return intent.id;
    const requestedBy = principalId(options.requester);
    await appendEvents(tx, ctx, [
      {
        type: "treasury.allocation_requested",
        stream: allocationStream(intent.id),
        expectedVersion: 0,
        portfolioId: input.portfolioId,
        payload: {
          intentId: intent.id,
          portfolioId: input.portfolioId,
          ventureId: input.ventureId,
          amountMinor: input.amountMinor.toString(),
          currency: input.currency,
          reason: input.reason,
          requestedBy,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO treasury_allocations (intent_id, portfolio_id, venture_id, amount_minor, currency, reason,
         requested_by, created_at)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7, now())`,
      intent.id,
      input.portfolioId,
      input.ventureId,
      input.amountMinor,
      input.currency,
      input.reason,
      requestedBy,
    );
    // A policy that approves allocations outright (the default one never does) moves the money now.
    if (intent.status === "approved") await settleAllocationIfAny(tx, ctx, intent.id);
    return intent.id;
  });
  return (await getAllocation({ db: options.db, portfolioId: input.portfolioId, intentId }))!;
}
