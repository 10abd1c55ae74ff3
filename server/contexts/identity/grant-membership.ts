import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import type { Role } from "./roles";

/** Gives a user one role in a portfolio (replacing any role they had there). */
export async function grantMembership(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  userId: string;
  portfolioId: string;
  role: Role;
}): Promise<void> {
  await withTransaction(options.db, async (tx) => {
    const user = await tx.user.findUnique({ where: { id: options.userId }, select: { version: true } });
    if (!user)
      throw new AppError("NOT_FOUND", `User ${options.userId} does not exist`, {
        fields: { userId: "unknown" },
      });
    const portfolio = await tx.portfolio.findUnique({
      where: { id: options.portfolioId },
      select: { id: true },
    });
    if (!portfolio) {
      throw new AppError("NOT_FOUND", `Portfolio ${options.portfolioId} does not exist`, {
        fields: { portfolioId: "unknown" },
      });
    }
    const [event] = await appendEvents(tx, options, [
      {
        type: "identity.membership_granted",
        stream: { type: "user", id: options.userId },
        expectedVersion: user.version,
        portfolioId: options.portfolioId,
        payload: { userId: options.userId, portfolioId: options.portfolioId, role: options.role },
      },
    ]);
    await tx.user.update({ where: { id: options.userId }, data: { version: user.version + 1 } });
    await tx.membership.upsert({
      where: { userId_portfolioId: { userId: options.userId, portfolioId: options.portfolioId } },
      create: {
        userId: options.userId,
        portfolioId: options.portfolioId,
        role: options.role,
        grantedAt: new Date(event!.occurredAt),
      },
      update: { role: options.role, grantedAt: new Date(event!.occurredAt) },
    });
  });
}
