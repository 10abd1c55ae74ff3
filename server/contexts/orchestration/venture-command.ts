// The frame of commands on a venture: one transaction with the venture row locked.
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import type { CommandContext } from "@/server/shared/events/store";
import type { VentureStage } from "./venture";

export type VentureCommandOptions = {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
};

export type LockedVenture = {
  id: string;
  portfolioId: string;
  name: string;
  slug: string;
  goal: string | null;
  stage: VentureStage;
  paused: boolean;
  concurrencyLimit: number;
  weight: number;
  version: number;
};

export async function runVentureCommand<T>(
  options: VentureCommandOptions,
  fn: (tx: Tx, venture: LockedVenture, ctx: CommandContext, now: Date) => Promise<T>,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  return withTransaction(options.db, async (tx) => {
    const [venture] = await tx.$queryRawUnsafe<LockedVenture[]>(
      `SELECT id, portfolio_id AS "portfolioId", name, slug, goal, stage, paused,
              concurrency_limit AS "concurrencyLimit", weight, version
         FROM ventures WHERE id = $1 FOR UPDATE`,
      options.ventureId,
    );
    if (!venture) {
      throw new AppError("NOT_FOUND", `Venture ${options.ventureId} not found`, {
        fields: { ventureId: "unknown venture" },
      });
    }
    return fn(
      tx,
      venture,
      { actor: options.actor, correlationId: options.correlationId, clock },
      clock.now(),
    );
  });
}
