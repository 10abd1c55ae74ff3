// Approving a pending money intent (TREAS-006): a finance controller or admin, never the requester;
// above the four-eyes threshold two distinct approvers. Refused while paused or frozen, once the
// intent expired or was decided. Each approval is an event; the last one also decides the intent.
import { assertNotPaused } from "@/server/contexts/control/api";
import { withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { settleAllocationIfAny } from "../funding/settle-allocation";
import { settleTransferIfAny } from "../rebalancing/settle-transfer";
import { budgetTransferCategory } from "../rebalancing/transfer-input";
import { intentStream } from "./create-intent";
import { type DecideOptions, lockPendingIntent, parseNote } from "./decide-intent";
import { describeFreeze, freezesFor } from "./freezes";
import { getIntent, type MoneyIntentView } from "./intent-view";

export async function approveIntent(options: DecideOptions): Promise<MoneyIntentView> {
  const note = parseNote(options.note);
  await withTransaction(options.db, async (tx) => {
    const intent = await lockPendingIntent(tx, options, "approve");
    const approverId = options.decider.userId;
    if (approverId === intent.requestedBy) {
      throw new AppError("FORBIDDEN", "You requested this money intent, so you cannot approve it");
    }
    const already = await tx.moneyIntentApproval.findUnique({
      where: { intentId_approverId: { intentId: intent.id, approverId } },
    });
    if (already) {
      throw new AppError("CONFLICT", "You already approved this money intent; a second approver is needed");
    }
    await assertNotPaused(tx, "Approving a money intent");
    // A budget transfer names its target venture as counterparty: a freeze there refuses it too.
    const target = intent.category === budgetTransferCategory ? [intent.counterparty] : [];
    const freezes = await freezesFor(tx, intent.portfolioId, intent.ventureId, target);
    if (freezes.length > 0) {
      throw new AppError("UNPROCESSABLE", `Approving is refused: ${freezes.map(describeFreeze).join("; ")}`, {
        reason: "frozen",
      });
    }
    const given = (await tx.moneyIntentApproval.count({ where: { intentId: intent.id } })) + 1;
    const required = Math.max(1, intent.approvalsRequired);
    const events: NewEvent[] = [
      {
        type: "treasury.intent_approval_recorded",
        stream: intentStream(intent.id),
        expectedVersion: intent.version,
        portfolioId: intent.portfolioId,
        payload: {
          intentId: intent.id,
          approverId,
          note,
          approvalsGiven: given,
          approvalsRequired: required,
        },
      },
    ];
    const decided = given >= required;
    if (decided) {
      events.push({
        type: "treasury.intent_decided",
        stream: intentStream(intent.id),
        expectedVersion: intent.version + 1,
        portfolioId: intent.portfolioId,
        payload: {
          intentId: intent.id,
          status: "approved",
          decidedBy: approverId,
          reasons: intent.reasons,
          holdId: intent.holdId,
          approvalsRequired: required,
          note,
          decision: intent.decision as PolicyDecisionRecord,
        },
      });
    }
    await appendEvents(tx, options, events);
    const now = new Date();
    await tx.moneyIntentApproval.create({ data: { intentId: intent.id, approverId, note, createdAt: now } });
    await tx.moneyIntent.update({
      where: { id: intent.id },
      data: {
        version: intent.version + events.length,
        ...(decided ? { status: "approved", decidedAt: now, decidedBy: approverId, decisionNote: note } : {}),
      },
    });
    // A budget allocation moves money inside our own ledger: it settles with its approval (ADR 0012).
    if (decided) await settleAllocationIfAny(tx, options, intent.id);
    // So does a budget transfer between two ventures (ADR 0016).
    if (decided) await settleTransferIfAny(tx, options, intent.id);
  });
  return (await getIntent(options))!;
}
