// The live feed of sealed events for the browser (CTRL-004): one poller per process reads new
// events from the `events` view and fans them out to the subscribers of their portfolio
// (polled-feed.ts). A subscriber that reconnects passes the last sequence it saw and first gets
// what it missed, from the database.
import type { Db } from "./db";
import type { AnyEnvelope } from "./events/envelope";
import { chainHead, readEvents } from "./events/store";
import { feedPerDb, PolledFeed } from "./polled-feed";

export type LiveEvent = Pick<
  AnyEnvelope,
  "sequence" | "id" | "type" | "occurredAt" | "portfolioId" | "stream" | "actor"
>;

const catchUpMax = 500;

function toLive(envelope: AnyEnvelope): LiveEvent {
  const { sequence, id, type, occurredAt, portfolioId, stream, actor } = envelope;
  return { sequence, id, type, occurredAt, portfolioId, stream, actor };
}

const eventFeed = feedPerDb(
  (db: Db) =>
    new PolledFeed<AnyEnvelope, LiveEvent>({
      pollMs: 300,
      head: async () => (await chainHead(db)).sequence,
      after: (cursor) => readEvents(db, { afterSequence: cursor, limit: 1_000 }),
      position: (envelope) => envelope.sequence,
      toItem: toLive,
      itemPosition: (event) => event.sequence,
    }),
);

export function liveFeed(db: Db) {
  return {
    /** Events after `afterSequence` (or from now) in the given portfolios, until `signal` aborts. */
    subscribe(options: { portfolioIds: string[]; afterSequence: number | null; signal: AbortSignal }) {
      const portfolioIds = new Set(options.portfolioIds);
      return eventFeed(db).subscribe({
        accepts: (envelope) => envelope.portfolioId !== null && portfolioIds.has(envelope.portfolioId),
        afterPosition: options.afterSequence,
        async missed(afterSequence) {
          const missed: LiveEvent[] = [];
          for (const portfolioId of portfolioIds) {
            const events = await readEvents(db, { afterSequence, portfolioId, limit: catchUpMax });
            missed.push(...events.map(toLive));
          }
          return missed;
        },
        signal: options.signal,
      });
    },
  };
}
