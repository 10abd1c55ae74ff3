import { appendEvents } from "@/server/shared/events/store";
import { getVenture, type VentureView } from "./get-venture";
import { ventureStream } from "./task-store";
import { decideStageChange, type VentureStage } from "./venture";
import { runVentureCommand, type VentureCommandOptions } from "./venture-command";

/** Moves a venture along its lifecycle (ORCH-001), validated by decideStageChange. */
export async function changeVentureStage(
  options: VentureCommandOptions & { stage: VentureStage; reason?: string | null },
): Promise<VentureView> {
  await runVentureCommand(options, async (tx, venture, ctx) => {
    const decision = decideStageChange(venture.id, venture.stage, options.stage);
    if (!decision) return;
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.venture_stage_changed",
        stream: ventureStream(venture.id),
        expectedVersion: venture.version,
        portfolioId: venture.portfolioId,
        payload: {
          ventureId: venture.id,
          from: decision.from,
          to: decision.to,
          reason: options.reason?.trim() || null,
        },
      },
    ]);
    await tx.venture.update({
      where: { id: venture.id, version: venture.version },
      data: { stage: decision.to, version: venture.version + 1 },
    });
  });
  return (await getVenture({ db: options.db, ventureId: options.ventureId }))!;
}
