import { appendEvents } from "@/server/shared/events/store";
import { notifyScheduler } from "./create-tasks";
import { ventureStream } from "./task-store";
import { validateLimits } from "./venture";
import { runVentureCommand, type VentureCommandOptions } from "./venture-command";

/** Sets a venture's concurrency limit and fair-share weight (ORCH-005). */
export async function setVentureLimits(
  options: VentureCommandOptions & { concurrencyLimit: number; weight: number },
): Promise<{ changed: boolean }> {
  validateLimits(options);
  return runVentureCommand(options, async (tx, venture, ctx) => {
    if (venture.concurrencyLimit === options.concurrencyLimit && venture.weight === options.weight)
      return { changed: false };
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.venture_limits_set",
        stream: ventureStream(venture.id),
        expectedVersion: venture.version,
        portfolioId: venture.portfolioId,
        payload: {
          ventureId: venture.id,
          concurrencyLimit: options.concurrencyLimit,
          weight: options.weight,
        },
      },
    ]);
    await tx.venture.update({
      where: { id: venture.id, version: venture.version },
      data: {
        concurrencyLimit: options.concurrencyLimit,
        weight: options.weight,
        version: venture.version + 1,
      },
    });
    await notifyScheduler(tx);
    return { changed: true };
  });
}
