// Marking notifications read: some by id, or all of a portfolio's (with the deployment-wide ones).
// Read state is the person's own view, not a decision, so it is a row update and not an event
// (ADR 0014). An id that is not the caller's (another person's, another portfolio's, or none at
// all) is NOT_FOUND and nothing is marked; marking what is read already changes nothing.
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { countUnread } from "./list-notifications";

export async function markNotificationsRead(options: {
  db: Db;
  userId: string;
  portfolioId: string;
  /** The ids to mark; omitted with all: true. */
  ids?: string[];
  all?: boolean;
}): Promise<{ marked: number; unreadCount: number }> {
  const { db, userId, portfolioId } = options;
  if (options.all === true && options.ids !== undefined) {
    throw new AppError("BAD_REQUEST", "Give either ids or all: true, not both", {
      fields: { ids: "not with all" },
    });
  }
  if (options.all !== true && (!options.ids || options.ids.length === 0)) {
    throw new AppError("BAD_REQUEST", "Give the ids to mark read, or all: true", {
      fields: { ids: "required unless all is true" },
    });
  }
  const marked = await withTransaction(db, async (tx) => {
    if (options.all === true) {
      return tx.$executeRawUnsafe(
        `UPDATE notifications SET read_at = now()
          WHERE user_id = $1 AND read_at IS NULL AND (portfolio_id = $2 OR portfolio_id IS NULL)`,
        userId,
        portfolioId,
      );
    }
    const ids = [...new Set(options.ids)];
    const mine = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT id FROM notifications
        WHERE id = ANY($1::text[]) AND user_id = $2 AND (portfolio_id = $3 OR portfolio_id IS NULL)
        FOR UPDATE`,
      ids,
      userId,
      portfolioId,
    );
    const found = new Set(mine.map((row) => row.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new AppError("NOT_FOUND", `Notification ${missing.join(", ")} not found`, {
        fields: { ids: `unknown: ${missing.slice(0, 5).join(", ")}` },
      });
    }
    return tx.$executeRawUnsafe(
      "UPDATE notifications SET read_at = now() WHERE id = ANY($1::text[]) AND read_at IS NULL",
      ids,
    );
  });
  return { marked, unreadCount: await countUnread(db, { userId, portfolioId }) };
}
