// The frame of founder commands on a workstream: one transaction, the workstream locked and checked
// to belong to the venture the caller was authorized for.
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import type { CommandContext } from "@/server/shared/events/store";

export type WorkstreamCommandOptions = {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
  workstreamId: string;
  reason?: string;
};

export type LockedWorkstream = {
  id: string;
  portfolioId: string;
  ventureId: string;
  status: string;
  paused: boolean;
  version: number;
};

export async function runWorkstreamCommand<T>(
  options: WorkstreamCommandOptions,
  fn: (tx: Tx, workstream: LockedWorkstream, ctx: CommandContext, now: Date) => Promise<T>,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  return withTransaction(options.db, async (tx) => {
    const [workstream] = await tx.$queryRawUnsafe<LockedWorkstream[]>(
      `SELECT id, portfolio_id AS "portfolioId", venture_id AS "ventureId", status, paused, version
         FROM workstreams WHERE id = $1 FOR UPDATE`,
      options.workstreamId,
    );
    if (!workstream || workstream.ventureId !== options.ventureId) {
      throw new AppError(
        "NOT_FOUND",
        `Workstream ${options.workstreamId} not found in venture ${options.ventureId}`,
        {
          fields: { workstreamId: "unknown workstream" },
        },
      );
    }
    return fn(
      tx,
      workstream,
      { actor: options.actor, correlationId: options.correlationId, clock },
      clock.now(),
    );
  });
}
