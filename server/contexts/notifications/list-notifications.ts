// A person's notifications in one portfolio (plus the deployment-wide ones), newest first, with
// the unread count for the bell's badge. Only ever the caller's own rows.
import type { Db } from "@/server/shared/db";
import type { NotificationKind } from "@/server/shared/events/catalog/notifications";

export type NotificationView = {
  id: string;
  seq: number;
  kind: NotificationKind;
  portfolioId: string | null;
  eventId: string;
  title: string;
  body: string;
  link: string | null;
  occurredAt: Date;
  readAt: Date | null;
};

type Row = {
  seq: bigint;
  id: string;
  kind: string;
  portfolio_id: string | null;
  event_id: string;
  title: string;
  body: string;
  link: string | null;
  occurred_at: Date;
  read_at: Date | null;
};

export function toNotificationView(row: Row): NotificationView {
  return {
    id: row.id,
    seq: Number(row.seq),
    kind: row.kind as NotificationKind,
    portfolioId: row.portfolio_id,
    eventId: row.event_id,
    title: row.title,
    body: row.body,
    link: row.link,
    occurredAt: row.occurred_at,
    readAt: row.read_at,
  };
}

export const notificationColumns =
  "seq, id, kind, portfolio_id, event_id, title, body, link, occurred_at, read_at";

/** How many a page shows at most. */
export const notificationsPageMax = 200;

export async function countUnread(db: Db, options: { userId: string; portfolioId: string }): Promise<number> {
  const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM notifications
      WHERE user_id = $1 AND read_at IS NULL AND (portfolio_id = $2 OR portfolio_id IS NULL)`,
    options.userId,
    options.portfolioId,
  );
  return row?.n ?? 0;
}

export async function listNotifications(options: {
  db: Db;
  userId: string;
  portfolioId: string;
  unreadOnly?: boolean;
  limit?: number;
  /** Older than this seq (paging). */
  beforeSeq?: number;
}): Promise<{ items: NotificationView[]; unreadCount: number }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), notificationsPageMax);
  const rows = await options.db.$queryRawUnsafe<Row[]>(
    `SELECT ${notificationColumns} FROM notifications
      WHERE user_id = $1 AND (portfolio_id = $2 OR portfolio_id IS NULL)
        AND ($3::boolean IS NOT TRUE OR read_at IS NULL)
        AND ($4::bigint IS NULL OR seq < $4)
      ORDER BY seq DESC LIMIT $5`,
    options.userId,
    options.portfolioId,
    options.unreadOnly ?? false,
    options.beforeSeq ?? null,
    limit,
  );
  return {
    items: rows.map(toNotificationView),
    unreadCount: await countUnread(options.db, options),
  };
}
