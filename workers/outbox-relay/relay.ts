// The outbox relay: publishes committed outbox rows to JetStream with msgID = event id, then
// deletes them in the same transaction. A crash between publish and commit republishes the rows;
// JetStream's duplicate window and the consumers' inbox make that harmless.
import { jetstream } from "@nats-io/jetstream";
import pg from "pg";
import { poolConfigFromUrl } from "@/server/shared/database-url";
import { withTransaction } from "@/server/shared/db";
import { readEventsBySequence } from "@/server/shared/events/store";
import type { WorkerServices } from "../_runtime/services";
import type { Stoppable } from "../_runtime/worker";

export type RelayOptions = {
  /** Rows published per transaction. */
  batchSize?: number;
  /** Poll interval when no notification arrives (notifications can be lost on reconnect). */
  pollMs?: number;
};

export async function startOutboxRelay(
  services: Pick<WorkerServices, "db" | "nc" | "names" | "log" | "env">,
  options: RelayOptions = {},
): Promise<Stoppable> {
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1_000;
  const { db, nc, names, log } = services;
  const js = jetstream(nc);
  const stats = { published: 0, publishFailures: 0 };
  let stopped = false;
  let wake: (() => void) | null = null;
  let pending = true;

  // LISTEN needs a dedicated connection; Prisma's pool cannot hold one.
  const listener = new pg.Client(poolConfigFromUrl(services.env.DATABASE_URL));
  await listener.connect();
  listener.on("notification", () => {
    pending = true;
    wake?.();
  });
  listener.on("error", (error) => log.warn({ err: error.message }, "relay listener error"));
  await listener.query("LISTEN venture_outbox");

  const drainOnce = async (): Promise<number> =>
    withTransaction(db, async (tx) => {
      const claimed = await tx.$queryRawUnsafe<Array<{ event_sequence: bigint }>>(
        `DELETE FROM outbox WHERE event_sequence IN (
           SELECT event_sequence FROM outbox ORDER BY event_sequence LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING event_sequence`,
        batchSize,
      );
      if (claimed.length === 0) return 0;
      const events = await readEventsBySequence(
        tx,
        claimed.map((row) => row.event_sequence),
      );
      await Promise.all(
        events.map((event) =>
          js.publish(names.eventSubject(event.type), JSON.stringify(event), {
            msgID: event.id,
            timeout: 5_000,
          }),
        ),
      );
      stats.published += events.length;
      return events.length;
    });

  const loop = async () => {
    let failures = 0;
    while (!stopped) {
      if (!pending) {
        // Wake on a notification, or poll: a notification sent while the listener reconnects is lost.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, pollMs);
        });
        wake = null;
      }
      if (stopped) break;
      // Cleared before draining, so a notification that arrives during the drain is not lost.
      pending = false;
      try {
        const count = await drainOnce();
        failures = 0;
        if (count === batchSize) pending = true;
      } catch (error) {
        pending = true;
        stats.publishFailures++;
        failures++;
        const delay = Math.min(100 * 2 ** failures, 5_000);
        log.warn(
          { err: String(error), retryInMs: delay },
          "outbox publish failed: rows stay for the next attempt",
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  const done = loop();

  return {
    stats,
    async stop() {
      stopped = true;
      wake?.();
      await done;
      await listener.end().catch(() => {});
    },
  };
}
