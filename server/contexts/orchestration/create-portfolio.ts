import { seedDefaultPolicies } from "@/server/contexts/policy/api";
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";

export async function createPortfolio(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  name: string;
  /** Install the default policies (the normal case); false leaves the portfolio deny-all. */
  defaultPolicies?: boolean;
}): Promise<{ portfolioId: string }> {
  return withTransaction(options.db, async (tx) => {
    const portfolioId = newId("portfolio");
    const [event] = await appendEvents(tx, options, [
      {
        type: "orchestration.portfolio_created",
        stream: { type: "portfolio", id: portfolioId },
        expectedVersion: 0,
        portfolioId,
        payload: { portfolioId, name: options.name },
      },
    ]);
    await tx.portfolio.create({
      data: { id: portfolioId, name: options.name, version: 1, createdAt: new Date(event!.occurredAt) },
    });
    // A new portfolio starts with the default treasury, tools and publishing policies, in the same
    // transaction: without them every decision there would be a deny (default-deny).
    if (options.defaultPolicies === false) return { portfolioId };
    await seedDefaultPolicies({
      db: options.db,
      actor: options.actor,
      correlationId: options.correlationId,
      portfolioId,
    });
    return { portfolioId };
  });
}
