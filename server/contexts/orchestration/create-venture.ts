import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { getVenture, type VentureView } from "./get-venture";
import { decideCreateVenture, slugify } from "./venture";

/** Creates a venture in the idea stage; the orchestrator then provisions it (venture_provisioned). */
export async function createVenture(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  name: string;
  goal: string | null;
}): Promise<VentureView> {
  const ventureId = await withTransaction(options.db, async (tx) => {
    const portfolio = await tx.portfolio.findUnique({
      where: { id: options.portfolioId },
      select: { id: true },
    });
    if (!portfolio) {
      throw new AppError("NOT_FOUND", `Portfolio ${options.portfolioId} does not exist`, {
        fields: { portfolioId: "unknown" },
      });
    }
    const slugTaken =
      (await tx.venture.count({ where: { portfolioId: options.portfolioId, slug: slugify(options.name) } })) >
      0;
    const payload = decideCreateVenture({
      ventureId: newId("venture"),
      portfolioId: options.portfolioId,
      name: options.name,
      goal: options.goal,
      slugTaken,
    });
    const [event] = await appendEvents(tx, options, [
      {
        type: "orchestration.venture_created",
        stream: { type: "venture", id: payload.ventureId },
        expectedVersion: 0,
        portfolioId: options.portfolioId,
        payload,
      },
    ]);
    await tx.venture.create({
      data: {
        id: payload.ventureId,
        portfolioId: payload.portfolioId,
        name: payload.name,
        slug: payload.slug,
        goal: payload.goal,
        stage: payload.stage,
        status: "provisioning",
        version: 1,
        createdBy: options.actor.id,
        createdAt: new Date(event!.occurredAt),
      },
    });
    return payload.ventureId;
  });
  return (await getVenture({ db: options.db, ventureId }))!;
}
