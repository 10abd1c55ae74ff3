import type { Db } from "@/server/shared/db";
import { verifyPassword } from "./passwords";

/** Returns the user id for a correct email and password, null otherwise (no hint which was wrong). */
export async function authenticatePassword(options: {
  db: Db;
  email: string;
  password: string;
}): Promise<string | null> {
  const user = await options.db.user.findUnique({
    where: { email: options.email.trim().toLowerCase() },
    select: { id: true, passwordHash: true },
  });
  if (!user?.passwordHash) return null;
  return (await verifyPassword(options.password, user.passwordHash)) ? user.id : null;
}
