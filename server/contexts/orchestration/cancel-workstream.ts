import { appendEvents } from "@/server/shared/events/store";
import { parseReason } from "./task-command";
import { workstreamStream } from "./task-store";
import { cancelTasks } from "./task-transitions";
import { runWorkstreamCommand, type WorkstreamCommandOptions } from "./workstream-command";

/** Cancels a workstream and every unfinished task of it (ORCH-006); a second cancel changes nothing. */
export async function cancelWorkstream(
  options: WorkstreamCommandOptions,
): Promise<{ changed: boolean; cancelled: string[] }> {
  const reason = parseReason(options.reason, "cancelled by the founder");
  return runWorkstreamCommand(options, async (tx, workstream, ctx, now) => {
    if (workstream.status !== "active") return { changed: false, cancelled: [] };
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.workstream_cancelled",
        stream: workstreamStream(workstream.id),
        expectedVersion: workstream.version,
        portfolioId: workstream.portfolioId,
        payload: { ventureId: workstream.ventureId, workstreamId: workstream.id, reason },
      },
    ]);
    await tx.$executeRawUnsafe(
      "UPDATE workstreams SET status = 'cancelled', version = version + 1, updated_at = $2 WHERE id = $1",
      workstream.id,
      now,
    );
    const open = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      "SELECT id FROM tasks WHERE workstream_id = $1 AND status NOT IN ('succeeded', 'cancelled')",
      workstream.id,
    );
    const cancelled = await cancelTasks(
      tx,
      ctx,
      open.map((t) => t.id),
      reason,
      now,
    );
    return { changed: true, cancelled };
  });
}
