// A template's phases move its venture along the lifecycle (ORCH-008): when the last task of a
// phase succeeds, the venture enters the stage that phase opens — only one step forward, and only
// from the stage before it, so a founder who moved the venture by hand is never overruled.
import type { Tx } from "@/server/shared/db";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { ventureStream } from "./task-store";
import { isTemplatePhase, stageAfterPhase } from "./templates";
import { type VentureStage, ventureStages } from "./venture";

export async function advanceTemplateStage(
  tx: Tx,
  ctx: CommandContext,
  taskId: string,
): Promise<{ ventureId: string; from: VentureStage; to: VentureStage } | null> {
  const [task] = await tx.$queryRawUnsafe<
    Array<{ venture_id: string; workstream_id: string; phase: unknown }>
  >("SELECT venture_id, workstream_id, inputs->'phase' AS phase FROM tasks WHERE id = $1", taskId);
  if (!task || !isTemplatePhase(task.phase)) return null;
  const to = stageAfterPhase[task.phase];
  if (!to) return null;
  const [open] = await tx.$queryRawUnsafe<Array<{ n: bigint }>>(
    `SELECT count(*) AS n FROM tasks
      WHERE workstream_id = $1 AND inputs->>'phase' = $2 AND status <> 'succeeded'`,
    task.workstream_id,
    task.phase,
  );
  if ((open?.n ?? 0n) > 0n) return null;
  const [venture] = await tx.$queryRawUnsafe<
    Array<{ id: string; portfolio_id: string; stage: VentureStage; version: number }>
  >("SELECT id, portfolio_id, stage, version FROM ventures WHERE id = $1 FOR UPDATE", task.venture_id);
  if (!venture) return null;
  const from = venture.stage;
  if (ventureStages[ventureStages.indexOf(from) + 1] !== to) return null;
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.venture_stage_changed",
      stream: ventureStream(venture.id),
      expectedVersion: venture.version,
      portfolioId: venture.portfolio_id,
      payload: {
        ventureId: venture.id,
        from,
        to,
        reason: `Every ${task.phase} task of the template succeeded`,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    "UPDATE ventures SET stage = $2, version = version + 1 WHERE id = $1",
    venture.id,
    to,
  );
  return { ventureId: venture.id, from, to };
}
