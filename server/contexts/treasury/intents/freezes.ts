// Freezing a venture's treasury or the whole portfolio's (TREAS-007). While a freeze applies,
// every new money intent is denied (the policy's guardrail.treasury-frozen) with the freeze reason,
// and pending intents cannot be approved. Freezing twice or unfreezing what is not frozen is a no-op.
import { roleAllows } from "@/server/contexts/identity/roles";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";

export type FreezeView = {
  id: string;
  portfolioId: string;
  ventureId: string | null;
  reason: string;
  frozenBy: string;
  frozenAt: Date;
};

type FreezeOptions = {
  db: Db;
  actor: EventActor;
  correlationId: string;
  role: Role;
  portfolioId: string;
  ventureId?: string | null;
  reason: string;
};

const freezeId = (portfolioId: string, ventureId: string | null) => ventureId ?? `portfolio:${portfolioId}`;
/** One stream per freeze episode: frozen is version 1, unfrozen version 2. */
const freezeStream = (row: { id: string; frozenAt: Date }) => ({
  type: "treasury_freeze",
  id: `${row.id}@${row.frozenAt.getTime()}`,
});

function checkCommon(options: FreezeOptions): { reason: string; ventureId: string | null } {
  if (!roleAllows(options.role, "treasury.freeze")) {
    throw new AppError("FORBIDDEN", `Your role ${options.role} may not freeze or unfreeze the treasury`);
  }
  const reason = typeof options.reason === "string" ? options.reason.trim() : "";
  if (reason.length < 3 || reason.length > 500) {
    throw new AppError("BAD_REQUEST", "A reason of 3-500 characters is required", {
      fields: { reason: "3-500 characters" },
    });
  }
  return { reason, ventureId: options.ventureId ?? null };
}

async function assertVentureInPortfolio(
  tx: Tx,
  portfolioId: string,
  ventureId: string | null,
): Promise<void> {
  if (ventureId === null) return;
  const venture = await tx.venture.findUnique({ where: { id: ventureId }, select: { portfolioId: true } });
  if (!venture || venture.portfolioId !== portfolioId) {
    throw new AppError("NOT_FOUND", `Venture ${ventureId} not found`, { fields: { ventureId: "unknown" } });
  }
}

export async function freezeTreasury(options: FreezeOptions): Promise<FreezeView> {
  const { reason, ventureId } = checkCommon(options);
  return freeze(options, reason, ventureId);
}

/**
 * An automatic freeze (TREAS-007): a velocity spike, burn spike or reconciliation break seen by a
 * treasury job, acting as a machine actor (no portfolio role to check), in the caller's
 * transaction. Same events and no-op rule as a freeze by hand; lifting it still needs a person
 * with treasury.freeze and a reason.
 */
export async function freezeTreasuryAutomatically(
  tx: Tx,
  ctx: CommandContext & { actor: EventActor & { type: "system" | "worker" } },
  options: { portfolioId: string; ventureId: string | null; reason: string },
): Promise<FreezeView> {
  const reason = options.reason.trim().slice(0, 500);
  invariant(reason.length >= 3, "an automatic freeze names its reason");
  return freezeInTx(tx, { ...ctx, portfolioId: options.portfolioId }, reason, options.ventureId);
}

async function freeze(options: FreezeOptions, reason: string, ventureId: string | null): Promise<FreezeView> {
  return withTransaction(options.db, (tx) => freezeInTx(tx, options, reason, ventureId));
}

async function freezeInTx(
  tx: Tx,
  options: CommandContext & { portfolioId: string },
  reason: string,
  ventureId: string | null,
): Promise<FreezeView> {
  await assertVentureInPortfolio(tx, options.portfolioId, ventureId);
  const id = freezeId(options.portfolioId, ventureId);
  await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", `freeze:${id}`);
  const existing = await tx.treasuryFreeze.findUnique({ where: { id } });
  if (existing) return existing;
  const row = {
    id,
    portfolioId: options.portfolioId,
    ventureId,
    reason,
    frozenBy: options.actor.id,
    frozenAt: new Date(),
  };
  await appendEvents(tx, options, [
    {
      type: "treasury.frozen",
      stream: freezeStream(row),
      expectedVersion: 0,
      portfolioId: options.portfolioId,
      payload: { portfolioId: options.portfolioId, ventureId, reason },
    },
  ]);
  return tx.treasuryFreeze.create({ data: row });
}

/** Lifts a freeze; returns the freeze lifted, or null when nothing was frozen. */
export async function unfreezeTreasury(options: FreezeOptions): Promise<FreezeView | null> {
  const { reason, ventureId } = checkCommon(options);
  return withTransaction(options.db, async (tx) => {
    await assertVentureInPortfolio(tx, options.portfolioId, ventureId);
    const id = freezeId(options.portfolioId, ventureId);
    await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", `freeze:${id}`);
    const existing = await tx.treasuryFreeze.findUnique({ where: { id } });
    if (!existing) return null;
    await appendEvents(tx, options, [
      {
        type: "treasury.unfrozen",
        stream: freezeStream(existing),
        expectedVersion: 1,
        portfolioId: options.portfolioId,
        payload: { portfolioId: options.portfolioId, ventureId, reason },
      },
    ]);
    await tx.treasuryFreeze.delete({ where: { id } });
    return existing;
  });
}

export async function listFreezes(options: { db: Db | Tx; portfolioId: string }): Promise<FreezeView[]> {
  return options.db.treasuryFreeze.findMany({
    where: { portfolioId: options.portfolioId },
    orderBy: { frozenAt: "asc" },
  });
}

/**
 * The freezes that apply to one venture (its own and the portfolio's), read in the caller's
 * transaction; `alsoVentureIds` adds other ventures the money touches (a budget transfer's target).
 */
export async function freezesFor(
  tx: Tx,
  portfolioId: string,
  ventureId: string,
  alsoVentureIds: readonly string[] = [],
): Promise<FreezeView[]> {
  return tx.treasuryFreeze.findMany({
    where: {
      portfolioId,
      OR: [
        alsoVentureIds.length > 0 ? { ventureId: { in: [ventureId, ...alsoVentureIds] } } : { ventureId },
        { ventureId: null },
      ],
    },
    orderBy: { frozenAt: "asc" },
  });
}

export function describeFreeze(freeze: FreezeView): string {
  const what = freeze.ventureId ? `Venture ${freeze.ventureId}'s treasury` : "The portfolio's treasury";
  return `${what} is frozen: ${freeze.reason}`;
}
