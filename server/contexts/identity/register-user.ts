import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { hashPassword } from "./passwords";

export async function registerUser(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  email: string;
  name: string;
  password: string | null;
}): Promise<{ userId: string }> {
  const email = options.email.trim().toLowerCase();
  const passwordHash = options.password ? await hashPassword(options.password) : null;
  return withTransaction(options.db, async (tx) => {
    const existing = await tx.user.findUnique({ where: { email }, select: { id: true } });
    if (existing)
      throw new AppError("CONFLICT", `A user with email ${email} already exists`, {
        fields: { email: "taken" },
      });
    const userId = newId("user");
    const [event] = await appendEvents(tx, options, [
      {
        type: "identity.user_registered",
        stream: { type: "user", id: userId },
        expectedVersion: 0,
        portfolioId: null,
        payload: { userId, email, name: options.name },
      },
    ]);
    await tx.user.create({
      data: {
        id: userId,
        email,
        name: options.name,
        passwordHash,
        version: 1,
        createdAt: new Date(event!.occurredAt),
      },
    });
    return { userId };
  });
}
