// Creating a money intent (TREAS-001/002): one transaction that validates, deduplicates by
// idempotency key, decides with the portfolio's treasury policy (paused and frozen included), and
// on approve / needs_approval reserves the amount with a hold on the venture's budget. A hold the
// ledger refuses (not enough budget) turns the intent into a denial naming the shortfall.
import { lockControlState } from "@/server/contexts/control/api";
import { checkMoneyIntent, type PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { type PlacedHold, placeHold } from "../ledger/place-hold";
import { ledgerEvents, recordAccountsOpened } from "../ledger/record";
import { counterpartyAllowlist } from "./counterparties";
import { describeFreeze, freezesFor } from "./freezes";
import { type HoldOn, holdPlan } from "./hold-plan";
import { parseMoneyIntentInput, requestHash } from "./intent-input";
import { getIntent, type MoneyIntentStatus, type MoneyIntentView } from "./intent-view";

export const intentStream = (intentId: string) => ({ type: "money_intent", id: intentId });
export const budgetAccountId = (ventureId: string, currency: string) => `${ventureId}:budget:${currency}`;

export function principalId(principal: PolicyPrincipal): string {
  return principal.kind === "user" ? principal.userId : principal.agentId;
}

/**
 * Creates (or, for a repeated idempotency key with the same content, returns) a money intent.
 * Same key, different content → CONFLICT. Bad input → BAD_REQUEST naming the fields, nothing written.
 */
export async function createIntent(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  requester: PolicyPrincipal;
  input: Record<string, unknown>;
  /** Where the hold reserves the money: the venture's budget (a spend, the default) or the
   * portfolio treasury's cash (a budget allocation, ADR 0012). */
  holdOn?: HoldOn;
}): Promise<MoneyIntentView> {
  const input = parseMoneyIntentInput(options.input);
  if (options.requester.portfolioId !== input.portfolioId) {
    throw new AppError("FORBIDDEN", "The requester does not act in this portfolio");
  }
  const hash = requestHash(input);
  const requestedBy = principalId(options.requester);
  const intentId = await withTransaction(options.db, async (tx) => {
    // Concurrent requests with one key queue here; the second sees the first's intent.
    await tx.$executeRawUnsafe(
      "SELECT pg_advisory_xact_lock(hashtextextended($1, 42))",
      `${input.portfolioId}:${input.idempotencyKey}`,
    );
    const existing = await tx.moneyIntent.findUnique({
      where: {
        portfolioId_idempotencyKey: { portfolioId: input.portfolioId, idempotencyKey: input.idempotencyKey },
      },
      select: { id: true, requestHash: true },
    });
    if (existing) {
      if (existing.requestHash === hash) return existing.id;
      throw new AppError(
        "CONFLICT",
        `Idempotency key ${input.idempotencyKey} was already used for a different money intent (${existing.id})`,
        { fields: { idempotencyKey: "already used with different content" }, intentId: existing.id },
      );
    }
    const venture = await tx.venture.findUnique({
      where: { id: input.ventureId },
      select: { portfolioId: true },
    });
    if (!venture || venture.portfolioId !== input.portfolioId) {
      throw new AppError(
        "BAD_REQUEST",
        `Invalid money intent: ventureId: unknown venture ${input.ventureId}`,
        {
          fields: { ventureId: "unknown venture" },
        },
      );
    }

    const id = `mi_${newId("event").slice(4)}`;
    const control = await lockControlState(tx);
    const freezes = await freezesFor(tx, input.portfolioId, input.ventureId);
    const decision = await checkMoneyIntent({
      db: tx,
      requester: options.requester,
      intent: {
        intentId: id,
        portfolioId: input.portfolioId,
        ventureId: input.ventureId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        category: input.category,
        counterpartyId: input.counterparty,
      },
      counterpartyAllowlist: await counterpartyAllowlist(tx, input.ventureId),
      frozen: freezes.length > 0,
      paused: control.state === "paused",
    });
    const reasons = [...freezes.map(describeFreeze), ...decision.reasons];
    const now = new Date();
    const expiresAt = new Date(now.getTime() + input.expiresInMinutes * 60_000);

    let status: MoneyIntentStatus =
      decision.outcome === "approve"
        ? "approved"
        : decision.outcome === "needs_approval"
          ? "pending_approval"
          : "denied";
    let hold: PlacedHold | null = null;
    if (status !== "denied") {
      const plan = holdPlan(options.holdOn ?? "venture_budget", input);
      for (const book of plan.open) await recordAccountsOpened(tx, options, book);
      try {
        // A savepoint: a refused hold rolls back only itself, and the denial is still recorded.
        hold = await withTransaction(options.db, (inner) =>
          placeHold(inner, {
            id: `${id}:hold`,
            debitAccountId: plan.debitAccountId,
            creditAccountId: plan.creditAccountId,
            amountMinor: input.amountMinor,
            expiresAt,
            memo: `money intent ${id}`,
          }),
        );
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== "UNPROCESSABLE") throw error;
        status = "denied";
        reasons.push(`${plan.shortfall}: ${error.message}`);
      }
    }

    const events: NewEvent[] = [
      {
        type: "treasury.intent_created",
        stream: intentStream(id),
        expectedVersion: 0,
        portfolioId: input.portfolioId,
        payload: {
          intentId: id,
          portfolioId: input.portfolioId,
          ventureId: input.ventureId,
          amountMinor: input.amountMinor.toString(),
          currency: input.currency,
          counterparty: input.counterparty,
          category: input.category,
          purpose: input.purpose,
          idempotencyKey: input.idempotencyKey,
          requestedBy,
          expiresAt: expiresAt.toISOString(),
        },
      },
      {
        type: "treasury.intent_decided",
        stream: intentStream(id),
        expectedVersion: 1,
        portfolioId: input.portfolioId,
        payload: {
          intentId: id,
          status,
          decidedBy: "policy",
          reasons,
          holdId: hold?.holdId ?? null,
          approvalsRequired: status === "pending_approval" ? decision.approvalsRequired : 0,
          note: null,
          decision,
        },
      },
    ];
    if (hold) events.push(ledgerEvents.holdPlaced(hold));
    await appendEvents(tx, options, events);
    await tx.moneyIntent.create({
      data: {
        id,
        portfolioId: input.portfolioId,
        ventureId: input.ventureId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        counterparty: input.counterparty,
        category: input.category,
        purpose: input.purpose,
        idempotencyKey: input.idempotencyKey,
        requestHash: hash,
        requestedBy,
        status,
        approvalsRequired: status === "pending_approval" ? decision.approvalsRequired : 0,
        reasons,
        decision,
        holdId: hold?.holdId ?? null,
        expiresAt,
        decidedAt: status === "pending_approval" ? null : now,
        decidedBy: status === "pending_approval" ? null : "policy",
        version: 2,
        createdAt: now,
      },
    });
    return id;
  });
  return (await getIntent({ db: options.db, portfolioId: input.portfolioId, intentId }))!;
}
