// The outbox relay, in two steps per round:
// 1. seal: chain committed outbox rows into the hash chain (venture_seal_events; one sealer at a
//    time across processes);
// 2. publish: send sealed events after the "jetstream" cursor, in sequence order, with
//    msgID = event id, then move the cursor in the same transaction. A crash between publish and
//    commit republishes the same events with the same sequences; JetStream's duplicate window and
//    the consumers' inbox make that harmless.
import { jetstream } from "@nats-io/jetstream";
import { withTransaction } from "@/server/shared/db";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { listenForNotifications } from "../_runtime/pg-listener";
import type { WorkerServices } from "../_runtime/services";
import type { Stoppable } from "../_runtime/worker";

export type RelayOptions = {
  /** Events sealed per round, and events published per transaction. */
  sealBatch?: number;
  batchSize?: number;
  /** Poll interval when no notification arrives (notifications can be lost on reconnect). */
  pollMs?: number;
  /** Poll interval while busy: appends do not notify then, so the relay looks for work itself. */
  busyPollMs?: number;
  /** Empty busy polls before the relay goes back to listening for notifications. */
  idlePollsBeforeListening?: number;
};

/** The relay's pacing when not told otherwise (the benches seal at the same pace, bench/lib.ts). */
export const relayDefaults = { sealBatch: 2_000, batchSize: 500, pollMs: 250, busyPollMs: 3 } as const;

export async function startOutboxRelay(
  services: Pick<WorkerServices, "db" | "nc" | "names" | "log" | "env">,
  options: RelayOptions = {},
): Promise<Stoppable> {
  const sealBatch = options.sealBatch ?? relayDefaults.sealBatch;
  const batchSize = options.batchSize ?? relayDefaults.batchSize;
  const pollMs = options.pollMs ?? relayDefaults.pollMs;
  const busyPollMs = options.busyPollMs ?? relayDefaults.busyPollMs;
  const idlePollsBeforeListening = options.idlePollsBeforeListening ?? 5;
  const { db, nc, names, log } = services;
  const js = jetstream(nc);
  const stats = { sealed: 0, published: 0, publishFailures: 0 };
  let stopped = false;
  let wake: (() => void) | null = null;
  let pending = true;

  // LISTEN needs a dedicated connection; Prisma's pool cannot hold one. It reconnects after a
  // PostgreSQL restart and wakes the loop once it listens again.
  const listener = await listenForNotifications({
    databaseUrl: services.env.DATABASE_URL,
    channel: "venture_outbox",
    log,
    onNotify: () => {
      pending = true;
      wake?.();
    },
  });

  const publishOnce = async (): Promise<number> =>
    withTransaction(db, async (tx) => {
      // One publisher at a time, so the cursor moves in order: a publisher that does not get the
      // lock reads no cursor and publishes nothing (lock and cursor in one round trip).
      const [cursor] = await tx.$queryRawUnsafe<Array<{ sequence: bigint }>>(
        "SELECT sequence FROM relay_cursors WHERE name = 'jetstream' AND pg_try_advisory_xact_lock(7140112) FOR UPDATE",
      );
      if (!cursor) return 0;
      const events = await readEvents(tx, { afterSequence: Number(cursor.sequence), limit: batchSize });
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

  // Whether anything waits to be sealed or published: one cheap read, so a poll that finds
  // nothing costs one statement instead of a seal and a publish transaction (a busy relay polls
  // every busyPollMs, and those empty rounds took CPU from the commands and delayed the next one).
  const hasWork = async (): Promise<boolean> => {
    const [row] = await db.$queryRawUnsafe<Array<{ work: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM outbox)
           OR (SELECT sequence FROM chain_head WHERE id = 1)
              > (SELECT sequence FROM relay_cursors WHERE name = 'jetstream') AS work`,
    );
    return row?.work !== false;
  };

  const drainOnce = async (checkFirst: boolean): Promise<"full" | "some" | "none"> => {
    if (checkFirst && !(await hasWork())) return "none";
    const sealed = await sealEvents(db, sealBatch);
    stats.sealed += sealed;
    const published = await publishOnce();
    if (sealed === sealBatch || published === batchSize) return "full";
    return sealed > 0 || published > 0 ? "some" : "none";
  };

  // Appends notify only while the relay listens (a notifying commit serialises every other one,
  // ADR 0005). Busy, the relay polls every busyPollMs; after a few empty polls it listens again,
  // then drains once more before sleeping, for appends that read the flag just before it changed.
  let listening: boolean | null = null;
  const setListening = async (value: boolean) => {
    if (listening === value) return;
    await db.$executeRawUnsafe("UPDATE outbox_wake SET listening = $1 WHERE id = 1", value);
    listening = value;
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, ms);
    });

  const loop = async () => {
    let failures = 0;
    let emptyPolls = 0;
    let delay = 0;
    while (!stopped) {
      if (!pending) {
        // Wake on a notification, or poll: a notification sent while the listener reconnects is lost.
        await sleep(delay);
        wake = null;
      }
      if (stopped) break;
      // Woken by a notification (or a full round before): there is work; a timer: look first.
      const polled = !pending;
      // Cleared before draining, so a notification that arrives during the drain is not lost.
      pending = false;
      try {
        const drained = await drainOnce(polled);
        failures = 0;
        if (drained === "full") {
          pending = true;
          emptyPolls = 0;
          await setListening(false);
        } else if (drained === "some") {
          emptyPolls = 0;
          delay = busyPollMs;
          await setListening(false);
        } else if (listening === false && ++emptyPolls < idlePollsBeforeListening) {
          delay = busyPollMs;
        } else if (listening !== true) {
          await setListening(true);
          pending = true;
        } else {
          delay = pollMs;
        }
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
      await listener.stop();
    },
  };
}
