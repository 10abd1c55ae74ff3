import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
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
  const ventureId = await withTransaction(options.db, (tx) => writeVenture(tx, options, options));
  return (await getVenture({ db: options.db, ventureId }))!;
}

/** The venture_created event and the venture row, in the caller's transaction; returns the id. */
export async function writeVenture(
  tx: Tx,
  ctx: CommandContext,
  venture: { portfolioId: string; name: string; goal: string | null },
): Promise<string> {
  const portfolio = await tx.portfolio.findUnique({
    where: { id: venture.portfolioId },
    select: { id: true },
  });
  if (!portfolio) {
    throw new AppError("NOT_FOUND", `Portfolio ${venture.portfolioId} does not exist`, {
      fields: { portfolioId: "unknown" },
    });
  }
  const slugTaken =
    (await tx.venture.count({ where: { portfolioId: venture.portfolioId, slug: slugify(venture.name) } })) >
    0;
  const payload = decideCreateVenture({
    ventureId: newId("venture"),
    portfolioId: venture.portfolioId,
    name: venture.name,
    goal: venture.goal,
    slugTaken,
  });
  const [event] = await appendEvents(tx, ctx, [
    {
      type: "orchestration.venture_created",
      stream: { type: "venture", id: payload.ventureId },
      expectedVersion: 0,
      portfolioId: venture.portfolioId,
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
      createdBy: ctx.actor.id,
      createdAt: new Date(event!.occurredAt),
    },
  });
  return payload.ventureId;
}
