// One poller per process and source, fanned out in memory to every subscriber: the database sees
// one query per interval however many pages are open. Rows carry an increasing position and
// become visible in position order (the event chain's sequence, the notifications' seq), so the
// cursor never skips one. A subscriber that reconnects passes the last position it saw and first
// gets what it missed, read by its own query. Used by the live event feed (CTRL-004) and the live
// notifications (CTRL-006).

export type FeedSource<Row, Item> = {
  pollMs: number;
  /** The newest position now: where a poller that starts begins. */
  head(): Promise<number>;
  /** Rows after `cursor`, in position order (a bounded batch). */
  after(cursor: number): Promise<Row[]>;
  position(row: Row): number;
  toItem(row: Row): Item;
  itemPosition(item: Item): number;
};

type Subscriber<Row> = { push(row: Row): void };

export class PolledFeed<Row, Item> {
  private readonly subscribers = new Set<Subscriber<Row>>();
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly source: FeedSource<Row, Item>) {}

  /**
   * The rows `accepts` lets through, as items, until `signal` aborts. With `afterPosition`, the
   * items `missed` reads (those after it) come first; an item is never yielded twice.
   */
  async *subscribe(options: {
    accepts(row: Row): boolean;
    afterPosition: number | null;
    missed(afterPosition: number): Promise<Item[]>;
    signal: AbortSignal;
  }): AsyncGenerator<Item> {
    const { source } = this;
    const { signal } = options;
    const queue: Item[] = [];
    let wake: (() => void) | null = null;
    const subscriber: Subscriber<Row> = {
      push(row) {
        if (!options.accepts(row)) return;
        queue.push(source.toItem(row));
        wake?.();
      },
    };
    this.subscribers.add(subscriber);
    this.start();
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      let last = options.afterPosition ?? Number.NEGATIVE_INFINITY;
      if (options.afterPosition !== null) {
        queue.unshift(...(await options.missed(options.afterPosition)));
        queue.sort((a, b) => source.itemPosition(a) - source.itemPosition(b));
      }
      while (!signal.aborted) {
        while (queue.length > 0) {
          const item = queue.shift()!;
          if (source.itemPosition(item) <= last) continue;
          last = source.itemPosition(item);
          yield item;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          // What came (or an abort) while the consumer held the last item found no waker.
          if (signal.aborted || queue.length > 0) resolve();
        });
        wake = null;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    }
  }

  private start() {
    if (this.timer) return;
    const tick = async () => {
      try {
        this.cursor ??= await this.source.head();
        const rows = await this.source.after(this.cursor);
        for (const row of rows) {
          for (const subscriber of this.subscribers) subscriber.push(row);
        }
        if (rows.length > 0) this.cursor = this.source.position(rows.at(-1)!);
      } catch {
        // The next tick tries again; subscribers simply see nothing new meanwhile.
      }
      if (this.timer) this.timer = setTimeout(tick, this.source.pollMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  private stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cursor = null;
  }
}

/** One feed per database client and source: `make` runs once per client. */
export function feedPerDb<Key extends object, Row, Item>(
  make: (key: Key) => PolledFeed<Row, Item>,
): (key: Key) => PolledFeed<Row, Item> {
  const feeds = new WeakMap<Key, PolledFeed<Row, Item>>();
  return (key) => {
    let feed = feeds.get(key);
    if (!feed) {
      feed = make(key);
      feeds.set(key, feed);
    }
    return feed;
  };
}
