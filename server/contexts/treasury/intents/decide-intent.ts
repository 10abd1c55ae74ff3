// Shared by approve-intent and deny-intent (TREAS-006): locks a pending intent and checks the
// decision may be made by this person, now.
import { roleAllows } from "@/server/contexts/identity/roles";
import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import type { EventActor } from "@/server/shared/events/envelope";

export type DecideOptions = {
  db: import("@/server/shared/db").Db;
  actor: EventActor;
  correlationId: string;
  /** The person deciding: their user id (compared with the requester) and portfolio role. */
  decider: { userId: string; role: Role };
  portfolioId: string;
  intentId: string;
  note: string;
};

export type LockedIntent = NonNullable<Awaited<ReturnType<Tx["moneyIntent"]["findUnique"]>>>;

export function parseNote(note: unknown): string {
  const text = typeof note === "string" ? note.trim() : "";
  if (text.length < 1 || text.length > 2_000) {
    throw new AppError("BAD_REQUEST", "Invalid input: note: 1-2000 characters", {
      fields: { note: "1-2000 characters" },
    });
  }
  return text;
}

/** Locks the intent FOR UPDATE and refuses unless it is pending, unexpired and in this portfolio. */
export async function lockPendingIntent(tx: Tx, options: DecideOptions, verb: string): Promise<LockedIntent> {
  if (!roleAllows(options.decider.role, "intent.decide")) {
    throw new AppError("FORBIDDEN", `Your role ${options.decider.role} may not ${verb} money intents`);
  }
  await tx.$executeRawUnsafe("SELECT 1 FROM money_intents WHERE id = $1 FOR UPDATE", options.intentId);
  const intent = await tx.moneyIntent.findUnique({ where: { id: options.intentId } });
  if (!intent || intent.portfolioId !== options.portfolioId) {
    throw new AppError("NOT_FOUND", `Money intent ${options.intentId} not found`);
  }
  if (intent.status !== "pending_approval") {
    throw new AppError("UNPROCESSABLE", `Money intent ${intent.id} is already ${intent.status}`, {
      reason: intent.status === "expired" ? "intent_expired" : "intent_decided",
      status: intent.status,
    });
  }
  if (intent.expiresAt.getTime() <= Date.now()) {
    throw new AppError(
      "UNPROCESSABLE",
      `Money intent ${intent.id} expired at ${intent.expiresAt.toISOString()}`,
      {
        reason: "intent_expired",
      },
    );
  }
  return intent;
}
