import { AppError } from "@/server/shared/errors";
import { appendEvents } from "@/server/shared/events/store";
import { notifyScheduler } from "./create-tasks";
import { parseReason } from "./task-command";
import { workstreamStream } from "./task-store";
import { runWorkstreamCommand, type WorkstreamCommandOptions } from "./workstream-command";

/**
 * Pauses or resumes a whole workstream (ORCH-006). While paused the scheduler dispatches none of
 * its tasks, and running ones stop at their next lease renewal and go back to ready (the attempt
 * does not count). Asking for the state it is already in changes nothing.
 */
async function setWorkstreamPaused(
  options: WorkstreamCommandOptions,
  paused: boolean,
): Promise<{ changed: boolean }> {
  const reason = parseReason(options.reason, paused ? "paused by the founder" : "resumed by the founder");
  return runWorkstreamCommand(options, async (tx, workstream, ctx, now) => {
    if (workstream.paused === paused) return { changed: false };
    if (workstream.status !== "active") {
      throw new AppError("UNPROCESSABLE", `Workstream ${workstream.id} is ${workstream.status}`, {
        reason: "workstream_state",
      });
    }
    await appendEvents(tx, ctx, [
      {
        type: paused ? "orchestration.workstream_paused" : "orchestration.workstream_resumed",
        stream: workstreamStream(workstream.id),
        expectedVersion: workstream.version,
        portfolioId: workstream.portfolioId,
        payload: { ventureId: workstream.ventureId, workstreamId: workstream.id, reason },
      },
    ]);
    await tx.$executeRawUnsafe(
      "UPDATE workstreams SET paused = $2, version = version + 1, updated_at = $3 WHERE id = $1",
      workstream.id,
      paused,
      now,
    );
    if (!paused) await notifyScheduler(tx);
    return { changed: true };
  });
}

export function pauseWorkstream(options: WorkstreamCommandOptions): Promise<{ changed: boolean }> {
  return setWorkstreamPaused(options, true);
}

export function resumeWorkstream(options: WorkstreamCommandOptions): Promise<{ changed: boolean }> {
  return setWorkstreamPaused(options, false);
}
