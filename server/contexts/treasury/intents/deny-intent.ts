// Denying a pending money intent (TREAS-006): a finance controller or admin, with a note; the hold
// on the venture's budget is voided in the same transaction, so the amount is available again.
import { withTransaction } from "@/server/shared/db";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { ledgerEvents } from "../ledger/record";
import { voidHold } from "../ledger/void-hold";
import { intentStream } from "./create-intent";
import { type DecideOptions, lockPendingIntent, parseNote } from "./decide-intent";
import { getIntent, type MoneyIntentView } from "./intent-view";

export async function denyIntent(options: DecideOptions): Promise<MoneyIntentView> {
  const note = parseNote(options.note);
  await withTransaction(options.db, async (tx) => {
    const intent = await lockPendingIntent(tx, options, "deny");
    const deciderId = options.decider.userId;
    const reasons = [...intent.reasons, `Denied by ${deciderId}: ${note}`];
    const events: NewEvent[] = [
      {
        type: "treasury.intent_decided",
        stream: intentStream(intent.id),
        expectedVersion: intent.version,
        portfolioId: intent.portfolioId,
        payload: {
          intentId: intent.id,
          status: "denied",
          decidedBy: deciderId,
          reasons,
          holdId: intent.holdId,
          approvalsRequired: intent.approvalsRequired,
          note,
          decision: intent.decision as PolicyDecisionRecord,
        },
      },
    ];
    if (intent.holdId) events.push(ledgerEvents.holdResolved(await voidHold(tx, { holdId: intent.holdId })));
    await appendEvents(tx, options, events);
    await tx.moneyIntent.update({
      where: { id: intent.id },
      data: {
        status: "denied",
        reasons,
        decidedAt: new Date(),
        decidedBy: deciderId,
        decisionNote: note,
        version: intent.version + 1,
      },
    });
  });
  return (await getIntent(options))!;
}
