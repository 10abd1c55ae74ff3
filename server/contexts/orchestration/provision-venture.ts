import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { decideProvision, type VentureState } from "./venture";

/**
 * The orchestrator's answer to venture_created: marks the venture ready. Runs inside the consumer
 * harness's transaction, so the inbox row, the event and the projection commit together.
 */
export async function provisionVenture(options: {
  tx: Tx;
  actor: EventActor;
  correlationId: string;
  causationId: string;
  ventureId: string;
}): Promise<boolean> {
  const { tx } = options;
  // Locked first, as every venture command locks it (runVentureCommand): reading it unlocked, then
  // appending at its version, then updating it deadlocked with a founder's stage change that had
  // locked the row and was appending at the same version.
  const [row] = await tx.$queryRawUnsafe<
    Array<{ id: string; portfolioId: string; status: string; version: number }>
  >(
    `SELECT id, portfolio_id AS "portfolioId", status, version FROM ventures WHERE id = $1 FOR UPDATE`,
    options.ventureId,
  );
  if (!row) throw new AppError("NOT_FOUND", `Venture ${options.ventureId} does not exist`);
  const payload = decideProvision(row as VentureState, options.actor.id);
  if (!payload) return false;
  const [event] = await appendEvents(tx, options, [
    {
      type: "orchestration.venture_provisioned",
      stream: { type: "venture", id: row.id },
      expectedVersion: row.version,
      portfolioId: row.portfolioId,
      payload,
    },
  ]);
  await tx.venture.update({
    where: { id: row.id, version: row.version },
    data: { status: "ready", version: row.version + 1, provisionedAt: new Date(event!.occurredAt) },
  });
  return true;
}
