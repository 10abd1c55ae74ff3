// The live feed of sealed events for the browser (CTRL-004). One poller per process reads new
// events from the `events` view and fans them out to every subscriber in memory, so the database
// sees one query per interval however many pages are open. A subscriber that reconnects passes
// the last sequence it saw and first gets what it missed, from the database.
import type { Db } from "./db";
import type { AnyEnvelope } from "./events/envelope";
import { readEvents } from "./events/store";

export type LiveEvent = Pick<
  AnyEnvelope,
  "sequence" | "id" | "type" | "occurredAt" | "portfolioId" | "stream" | "actor"
>;

type Subscriber = { portfolioIds: Set<string>; push(event: LiveEvent): void };

const pollMs = 300;
const catchUpMax = 500;

function toLive(envelope: AnyEnvelope): LiveEvent {
  const { sequence, id, type, occurredAt, portfolioId, stream, actor } = envelope;
  return { sequence, id, type, occurredAt, portfolioId, stream, actor };
}

class LiveFeed {
  private subscribers = new Set<Subscriber>();
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  /** Events after `afterSequence` (or from now) in the given portfolios, until `signal` aborts. */
  async *subscribe(options: { portfolioIds: string[]; afterSequence: number | null; signal: AbortSignal }) {
    const queue: LiveEvent[] = [];
    let wake: (() => void) | null = null;
    const subscriber: Subscriber = {
      portfolioIds: new Set(options.portfolioIds),
      push(event) {
        if (event.portfolioId && this.portfolioIds.has(event.portfolioId)) {
          queue.push(event);
          wake?.();
        }
      },
    };
    this.subscribers.add(subscriber);
    this.start();
    const onAbort = () => wake?.();
    options.signal.addEventListener("abort", onAbort);
    try {
      let last = options.afterSequence ?? -1;
      if (options.afterSequence !== null) {
        // Catch up from the database on what was missed while disconnected.
        for (const portfolioId of options.portfolioIds) {
          const missed = await readEvents(this.db, {
            afterSequence: options.afterSequence,
            portfolioId,
            limit: catchUpMax,
          });
          queue.push(...missed.map(toLive));
        }
        queue.sort((a, b) => a.sequence - b.sequence);
      }
      while (!options.signal.aborted) {
        while (queue.length > 0) {
          const event = queue.shift()!;
          if (event.sequence <= last) continue;
          last = event.sequence;
          yield event;
        }
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
          const rows = await this.db.$queryRawUnsafe<Array<{ sequence: bigint }>>(
            "SELECT sequence FROM chain_head WHERE id = 1",
          );
          this.cursor = Number(rows[0]?.sequence ?? 0);
        }
        const events = await readEvents(this.db, { afterSequence: this.cursor, limit: 1_000 });
        for (const envelope of events) {
          const live = toLive(envelope);
          for (const subscriber of this.subscribers) subscriber.push(live);
        }
        if (events.length > 0) this.cursor = events.at(-1)!.sequence;
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

const feeds = new WeakMap<Db, LiveFeed>();

export function liveFeed(db: Db): LiveFeed {
  let feed = feeds.get(db);
  if (!feed) {
    feed = new LiveFeed(db);
    feeds.set(db, feed);
  }
  return feed;
}
