import { appendEvents } from "@/server/shared/events/store";
import { notifyScheduler } from "./create-tasks";
import { parseReason } from "./task-command";
import { ventureStream } from "./task-store";
import { runVentureCommand, type VentureCommandOptions } from "./venture-command";

/**
 * Pauses or resumes all of a venture's work (ORCH-006): while paused nothing of it is dispatched
 * and its running tasks stop at their next lease renewal (back to ready, attempt not counted).
 */
async function setVenturePaused(
  options: VentureCommandOptions & { reason?: string },
  paused: boolean,
): Promise<{ changed: boolean }> {
  const reason = parseReason(options.reason, paused ? "paused by the founder" : "resumed by the founder");
  return runVentureCommand(options, async (tx, venture, ctx) => {
    if (venture.paused === paused) return { changed: false };
    await appendEvents(tx, ctx, [
      {
        type: paused ? "orchestration.venture_paused" : "orchestration.venture_resumed",
        stream: ventureStream(venture.id),
        expectedVersion: venture.version,
        portfolioId: venture.portfolioId,
        payload: { ventureId: venture.id, reason },
      },
    ]);
    await tx.venture.update({
      where: { id: venture.id, version: venture.version },
      data: { paused, version: venture.version + 1 },
    });
    if (!paused) await notifyScheduler(tx);
    return { changed: true };
  });
}

export function pauseVenture(
  options: VentureCommandOptions & { reason?: string },
): Promise<{ changed: boolean }> {
  return setVenturePaused(options, true);
}

export function resumeVenture(
  options: VentureCommandOptions & { reason?: string },
): Promise<{ changed: boolean }> {
  return setVenturePaused(options, false);
}
