// New notifications pushed to the browser without reload (CTRL-006 with CTRL-004's transport).
// One poller per process reads rows with seq above its cursor and hands each to the subscribers of
// its person (server/shared/polled-feed.ts), so the database sees one query per interval however
// many tabs are open. Rows commit in seq order (record-notifications.ts
// inserts them under one lock), so the cursor never skips one. A subscriber that reconnects passes
// the last seq it saw and first gets what it missed.
import type { Db } from "@/server/shared/db";
import { feedPerDb, PolledFeed } from "@/server/shared/polled-feed";
import { type NotificationView, notificationColumns, toNotificationView } from "./list-notifications";

type NotificationRow = Parameters<typeof toNotificationView>[0] & { user_id: string };

const catchUpMax = 200;
const batchMax = 1_000;

const notificationFeed = feedPerDb(
  (db: Db) =>
    new PolledFeed<NotificationRow, NotificationView>({
      pollMs: 500,
      async head() {
        const rows = await db.$queryRawUnsafe<Array<{ seq: bigint | null }>>(
          "SELECT max(seq) AS seq FROM notifications",
        );
        return Number(rows[0]?.seq ?? 0);
      },
      after: (cursor) =>
        db.$queryRawUnsafe<NotificationRow[]>(
          `SELECT ${notificationColumns}, user_id FROM notifications WHERE seq > $1 ORDER BY seq LIMIT $2`,
          cursor,
          batchMax,
        ),
      position: (row) => Number(row.seq),
      toItem: toNotificationView,
      itemPosition: (item) => item.seq,
    }),
);

export function liveNotifications(db: Db) {
  return {
    /** The person's new notifications in the portfolio (and deployment-wide ones) until signal aborts. */
    subscribe(options: {
      userId: string;
      portfolioId: string;
      afterSeq: number | null;
      signal: AbortSignal;
    }): AsyncGenerator<NotificationView> {
      return notificationFeed(db).subscribe({
        accepts: (row) =>
          row.user_id === options.userId &&
          (row.portfolio_id === null || row.portfolio_id === options.portfolioId),
        afterPosition: options.afterSeq,
        async missed(afterSeq) {
          const rows = await db.$queryRawUnsafe<NotificationRow[]>(
            `SELECT ${notificationColumns}, user_id FROM notifications
              WHERE user_id = $1 AND seq > $2 AND (portfolio_id = $3 OR portfolio_id IS NULL)
              ORDER BY seq LIMIT $4`,
            options.userId,
            afterSeq,
            options.portfolioId,
            catchUpMax,
          );
          return rows.map(toNotificationView);
        },
        signal: options.signal,
      });
    },
  };
}
