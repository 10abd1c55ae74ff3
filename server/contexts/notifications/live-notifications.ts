// New notifications pushed to the browser without reload (CTRL-006 with CTRL-004's transport).
// As the event live feed does (server/shared/live-feed.ts): one poller per process reads rows with
// seq above its cursor and hands each to the subscribers of its person, so the database sees one
// query per interval however many tabs are open. Rows commit in seq order (record-notifications.ts
// inserts them under one lock), so the cursor never skips one. A subscriber that reconnects passes
// the last seq it saw and first gets what it missed.
import type { Db } from "@/server/shared/db";
import { type NotificationView, notificationColumns, toNotificationView } from "./list-notifications";

type Subscriber = { userId: string; portfolioId: string; push(item: NotificationView): void };

const pollMs = 500;
const catchUpMax = 200;
const batchMax = 1_000;

class LiveNotifications {
  private readonly subscribers = new Set<Subscriber>();
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  /** The person's new notifications in the portfolio (and deployment-wide ones) until signal aborts. */
  async *subscribe(options: {
    userId: string;
    portfolioId: string;
    afterSeq: number | null;
    signal: AbortSignal;
  }): AsyncGenerator<NotificationView> {
    const queue: NotificationView[] = [];
    let wake: (() => void) | null = null;
    const subscriber: Subscriber = {
      userId: options.userId,
      portfolioId: options.portfolioId,
      push(item) {
        if (item.portfolioId === null || item.portfolioId === this.portfolioId) {
          queue.push(item);
          wake?.();
        }
      },
    };
    this.subscribers.add(subscriber);
    this.start();
    const onAbort = () => wake?.();
    options.signal.addEventListener("abort", onAbort);
    try {
      let last = options.afterSeq ?? -1;
      if (options.afterSeq !== null) {
        const rows = await this.db.$queryRawUnsafe<Parameters<typeof toNotificationView>[0][]>(
          `SELECT ${notificationColumns} FROM notifications
            WHERE user_id = $1 AND seq > $2 AND (portfolio_id = $3 OR portfolio_id IS NULL)
            ORDER BY seq LIMIT $4`,
          options.userId,
          options.afterSeq,
          options.portfolioId,
          catchUpMax,
        );
        queue.unshift(...rows.map(toNotificationView));
        queue.sort((a, b) => a.seq - b.seq);
      }
      while (!options.signal.aborted) {
        while (queue.length > 0) {
          const item = queue.shift()!;
          if (item.seq <= last) continue;
          last = item.seq;
          yield item;
        }
        // An abort that came while we were yielding found no waiter to wake: check before waiting.
        if (options.signal.aborted) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    } finally {
      options.signal.removeEventListener("abort", onAbort);
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    }
  }

  private start() {
    if (this.timer) return;
    const tick = async () => {
      try {
        if (this.cursor === null) {
          const rows = await this.db.$queryRawUnsafe<Array<{ seq: bigint | null }>>(
            "SELECT max(seq) AS seq FROM notifications",
          );
          this.cursor = Number(rows[0]?.seq ?? 0);
        }
        const rows = await this.db.$queryRawUnsafe<
          Array<Parameters<typeof toNotificationView>[0] & { user_id: string }>
        >(
          `SELECT ${notificationColumns}, user_id FROM notifications WHERE seq > $1 ORDER BY seq LIMIT $2`,
          this.cursor,
          batchMax,
        );
        for (const row of rows) {
          const item = toNotificationView(row);
          for (const subscriber of this.subscribers) {
            if (subscriber.userId === row.user_id) subscriber.push(item);
          }
        }
        if (rows.length > 0) this.cursor = Number(rows.at(-1)!.seq);
      } catch {
        // The next tick tries again; subscribers simply see nothing new meanwhile.
      }
      if (this.timer) this.timer = setTimeout(tick, pollMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  private stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cursor = null;
  }
}

const feeds = new WeakMap<Db, LiveNotifications>();

export function liveNotifications(db: Db): LiveNotifications {
  let feed = feeds.get(db);
  if (!feed) {
    feed = new LiveNotifications(db);
    feeds.set(db, feed);
  }
  return feed;
}
