// The outbox relay, in two steps per round:
// 1. seal: chain committed outbox rows into the hash chain (venture_seal_events; one sealer at a
//    time across processes);
// 2. publish: send sealed events after the "jetstream" cursor, in sequence order, with
//    msgID = event id, then move the cursor in the same transaction. A crash between publish and
//    commit republishes the same events with the same sequences; JetStream's duplicate window and
//    the consumers' inbox make that harmless.
import { jetstream } from "@nats-io/jetstream";
import pg from "pg";
import { poolConfigFromUrl } from "@/server/shared/database-url";
import { withTransaction } from "@/server/shared/db";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import type { WorkerServices } from "../_runtime/services";
import type { Stoppable } from "../_runtime/worker";

export type RelayOptions = {
  /** Events sealed per round, and events published per transaction. */
  sealBatch?: number;
  batchSize?: number;
  /** Poll interval when no notification arrives (notifications can be lost on reconnect). */
  pollMs?: number;
};

export async function startOutboxRelay(
  services: Pick<WorkerServices, "db" | "nc" | "names" | "log" | "env">,
  options: RelayOptions = {},
): Promise<Stoppable> {
  const sealBatch = options.sealBatch ?? 2_000;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1_000;
  const { db, nc, names, log } = services;
  const js = jetstream(nc);
  const stats = { sealed: 0, published: 0, publishFailures: 0 };
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

  const publishOnce = async (): Promise<number> =>
    withTransaction(db, async (tx) => {
      // One publisher at a time, so the cursor moves in order.
      const [lock] = await tx.$queryRawUnsafe<Array<{ ok: boolean }>>(
        "SELECT pg_try_advisory_xact_lock(7140112) AS ok",
      );
      if (!lock?.ok) return 0;
      const [cursor] = await tx.$queryRawUnsafe<Array<{ sequence: bigint }>>(
        "SELECT sequence FROM relay_cursors WHERE name = 'jetstream' FOR UPDATE",
      );
      const events = await readEvents(tx, { afterSequence: Number(cursor?.sequence ?? 0), limit: batchSize });
      if (events.length === 0) return 0;
      await Promise.all(
        events.flatMap((event) => {
          const data = JSON.stringify(event);
          const publish = (subject: string) => js.publish(subject, data, { msgID: event.id, timeout: 5_000 });
          // Work (a dispatched task) also goes on its level's work subject (ADR 0009).
          const work = names.workSubjectFor(event);
          return work
            ? [publish(names.eventSubject(event.type)), publish(work)]
            : [publish(names.eventSubject(event.type))];
        }),
      );
      await tx.$executeRawUnsafe(
        "UPDATE relay_cursors SET sequence = $1 WHERE name = 'jetstream'",
        events.at(-1)!.sequence,
      );
      stats.published += events.length;
      return events.length;
    });

  const drainOnce = async (): Promise<boolean> => {
    const sealed = await sealEvents(db, sealBatch);
    stats.sealed += sealed;
    const published = await publishOnce();
    return sealed === sealBatch || published === batchSize;
  };

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
        const more = await drainOnce();
        failures = 0;
        if (more) pending = true;
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
