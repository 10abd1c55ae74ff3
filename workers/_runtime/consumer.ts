// The one consumer harness. Every worker handles JetStream messages through it:
// validate the envelope (a malformed message is dead-lettered and terminated, never retried),
// dedupe through the inbox table in the handler's own transaction (a message delivered twice has
// its effect once), ack on commit, nak with backoff on failure, dead-letter after the last
// delivery, bounded concurrency, a gate for the kill-switch, and a drain on shutdown.
import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { type Tx, withTransaction } from "@/server/shared/db";
import type { EventType } from "@/server/shared/events/catalog";
import { type AnyEnvelope, parseEnvelope } from "@/server/shared/events/envelope";
import type { Logger } from "@/server/shared/logger";
import { ensureStreams } from "@/server/shared/nats";
import { alwaysOpenGate, type DispatchGate } from "./gate";
import type { WorkerServices } from "./services";

export type HandlerContext = {
  tx: Tx;
  log: Logger;
  deliveryCount: number;
  /**
   * Runs fn after the handler's transaction committed and the message was acked, still inside the
   * consumer's concurrency limit. For work that must not hold a transaction open (an agent run):
   * the handler records the claim in its transaction, the work starts once the claim is durable.
   * Not run when the transaction rolls back or the message was a duplicate.
   */
  afterCommit(fn: () => Promise<void>): void;
};

export type ConsumerSpec = {
  /** Durable name, unique per handler: the inbox dedupes per consumer. */
  name: string;
  eventTypes: EventType[];
  handle(envelope: AnyEnvelope, ctx: HandlerContext): Promise<void>;
  /** Messages handled at once by this process. */
  concurrency?: number;
  /** Deliveries before the message goes to the dead-letter subject. */
  maxDeliver?: number;
  ackWaitMs?: number;
  /** nak delay for delivery n: backoffMs * 2^(n-1), at most 30 s. */
  backoffMs?: number;
  /**
   * Consume the work stream on this subject (below `<ns>.work.`, e.g. "l2.researcher") instead of
   * the event stream (ADR 0009): each level and role has its own subject and durable consumer.
   */
  workSubject?: string;
};

export type ConsumerStats = { handled: number; duplicates: number; failed: number; deadLettered: number };

export type RunningConsumer = { stats: ConsumerStats; stop(): Promise<void> };

/**
 * NATS 2.9 allows one filter subject per consumer. One event type filters exactly; several share
 * the narrowest wildcard (their context's, else all events) and the harness acks the rest unhandled.
 */
function filterSubject(names: WorkerServices["names"], eventTypes: EventType[]): string {
  if (eventTypes.length === 1) return names.eventSubject(eventTypes[0]!);
  const contexts = new Set(eventTypes.map((type) => type.split(".")[0]));
  return contexts.size === 1 ? names.eventSubject(`${[...contexts][0]}.>`) : names.eventSubjects;
}

export async function startConsumer(
  services: Pick<WorkerServices, "db" | "nc" | "names" | "log">,
  spec: ConsumerSpec,
  gate: DispatchGate = alwaysOpenGate,
): Promise<RunningConsumer> {
  const concurrency = spec.concurrency ?? 8;
  const maxDeliver = spec.maxDeliver ?? 5;
  const ackWaitMs = spec.ackWaitMs ?? 30_000;
  const backoffMs = spec.backoffMs ?? 500;
  const { names, nc, db } = services;
  const durable = names.durable(spec.name);
  const log = services.log.child({ consumer: spec.name });

  const jsm = await jetstreamManager(nc);
  const stream = spec.workSubject ? names.workStream : names.eventsStream;
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: spec.workSubject
      ? names.workSubject(spec.workSubject)
      : filterSubject(names, spec.eventTypes),
    max_deliver: maxDeliver,
    ack_wait: ackWaitMs * 1e6,
    max_ack_pending: concurrency * 4,
  };
  const js = jetstream(nc);
  // Declares the durable consumer (and the streams, if the server lost them) and gets it: at start,
  // and again when JetStream no longer has it (a server back without its state; ADR 0015).
  const declare = async () => {
    try {
      await jsm.consumers.info(stream, durable);
      await jsm.consumers.update(stream, durable, config);
    } catch (error) {
      if (/stream not found/i.test(String(error))) await ensureStreams(nc, names.namespace);
      await jsm.consumers.add(stream, config);
    }
    return js.consumers.get(stream, durable);
  };
  let consumer = await declare();

  const wanted = new Set<string>(spec.eventTypes);
  const stats: ConsumerStats = { handled: 0, duplicates: 0, failed: 0, deadLettered: 0 };
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();

  const deadLetter = async (msg: JsMsg, reason: string) => {
    const h = headers();
    h.set("Venture-Consumer", spec.name);
    h.set("Venture-Reason", reason.slice(0, 1000));
    h.set("Venture-Subject", msg.subject);
    h.set("Venture-Deliveries", String(msg.info.deliveryCount));
    await js.publish(names.dlqSubject(spec.name), msg.data, { headers: h });
    stats.deadLettered++;
    msg.term(reason.slice(0, 200));
  };

  const handleOne = async (msg: JsMsg) => {
    let raw: unknown;
    try {
      raw = msg.json();
    } catch {
      log.warn({ subject: msg.subject }, "message is not JSON: dead-lettered");
      await deadLetter(msg, "message is not JSON");
      return;
    }
    const parsed = parseEnvelope(raw);
    if (!parsed.ok) {
      log.warn({ subject: msg.subject, reason: parsed.reason }, "malformed message: dead-lettered");
      await deadLetter(msg, parsed.reason);
      return;
    }
    const envelope = parsed.envelope;
    if (!wanted.has(envelope.type)) {
      msg.ack();
      return;
    }
    const msgLog = log.child({ eventId: envelope.id, correlationId: envelope.correlationId });
    const afterCommit: Array<() => Promise<void>> = [];
    try {
      const fresh = await withTransaction(db, async (tx) => {
        const inserted = await tx.$executeRawUnsafe(
          "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          spec.name,
          envelope.id,
        );
        if (inserted === 0) return false;
        afterCommit.length = 0;
        await spec.handle(envelope, {
          tx,
          log: msgLog,
          deliveryCount: msg.info.deliveryCount,
          afterCommit: (fn) => afterCommit.push(fn),
        });
        return true;
      });
      if (fresh) stats.handled++;
      else stats.duplicates++;
      msg.ack();
      if (!fresh) return;
      for (const fn of afterCommit) {
        await fn().catch((error) => msgLog.error({ err: String(error) }, "after-commit work failed"));
      }
      return;
    } catch (error) {
      stats.failed++;
      const reason = error instanceof Error ? error.message : String(error);
      if (msg.info.deliveryCount >= maxDeliver) {
        msgLog.error(
          { err: reason, deliveries: msg.info.deliveryCount },
          "handler failed for the last time: dead-lettered",
        );
        await deadLetter(msg, `handler failed ${msg.info.deliveryCount} times: ${reason}`);
      } else {
        const delay = Math.min(backoffMs * 2 ** (msg.info.deliveryCount - 1), 30_000);
        msgLog.warn(
          { err: reason, deliveries: msg.info.deliveryCount, retryInMs: delay },
          "handler failed: will retry",
        );
        msg.nak(delay);
      }
    }
  };

  /** Resolves once fewer than `concurrency` handlers run. */
  const capacity = async () => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  const run = (msg: JsMsg) => {
    const task = handleOne(msg).catch((error) =>
      log.error({ err: String(error) }, "unexpected handler error"),
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  /**
   * Waits for the gate to open (true) or the consumer to stop (false), telling JetStream every
   * half ack-wait that the held messages are being worked on.
   */
  const holdUntilOpen = async (held: JsMsg[]): Promise<boolean> => {
    for (;;) {
      if (stopping.signal.aborted) return false;
      for (const msg of held) {
        try {
          msg.working();
        } catch {
          // NATS is away (the gate is closed for that too): JetStream redelivers after ack-wait.
        }
      }
      try {
        await gate.waitOpen(AbortSignal.any([stopping.signal, AbortSignal.timeout(ackWaitMs / 2)]));
        return !stopping.signal.aborted;
      } catch {
        // Half an ack-wait went by (or the consumer stops): say so again, or give up.
      }
    }
  };

  /** After the pull ended because the consumer or its stream is gone: declared again, retrying. */
  const declareAgain = async (lost: unknown) => {
    log.warn({ err: String(lost) }, "consumer gone from JetStream: declaring it again");
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (stopping.signal.aborted) return consumer;
      try {
        return await declare();
      } catch (error) {
        log.warn({ err: String(error) }, "consumer not declared yet: retrying");
      }
    }
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      try {
        await gate.waitOpen(stopping.signal);
      } catch {
        break;
      }
      // A consumer or stream that is gone ends the pull with an error, instead of the client waiting
      // for it forever, and it is declared again below.
      const messages = await consumer.consume({
        max_messages: concurrency * 2,
        expires: 5_000,
        abort_on_missing_resource: true,
      });
      const onStop = () => messages.stop();
      stopping.signal.addEventListener("abort", onStop, { once: true });
      // Messages that arrive while the gate is closed are held, in order, and started once it
      // opens. Neither a nak nor stopping the pull: a nak counts as a delivery, and a message on
      // its way to a stopped pull is dropped by the client after the server counted it, so a few
      // pauses would use up max_deliver and JetStream would stop delivering it without a word.
      // What is held is bounded by max_ack_pending.
      const held: JsMsg[] = [];
      let holder: Promise<void> | null = null;
      const startHeld = async () => {
        while (held.length > 0 && (await holdUntilOpen(held))) {
          while (held.length > 0 && gate.isOpen() && !stopping.signal.aborted) {
            await capacity();
            // The gate is asked again after the wait: it may have closed meanwhile.
            if (gate.isOpen() && !stopping.signal.aborted) run(held.shift()!);
          }
        }
      };
      let lost: unknown = null;
      try {
        for await (const msg of messages) {
          // Capacity first, then the gate: a pause that came while every slot was busy holds this one.
          await capacity();
          if (stopping.signal.aborted) {
            // Shutting down: hand it back for the next instance.
            msg.nak(1_000);
          } else if (!gate.isOpen() || held.length > 0) {
            held.push(msg);
            holder ??= startHeld().finally(() => {
              holder = null;
            });
          } else {
            run(msg);
          }
        }
      } catch (error) {
        lost = error;
      }
      stopping.signal.removeEventListener("abort", onStop);
      await holder;
      for (const msg of held.splice(0)) {
        try {
          msg.nak(1_000);
        } catch {
          // NATS is away: JetStream redelivers after ack-wait.
        }
      }
      if (lost !== null) consumer = await declareAgain(lost);
    }
  };
  const loopDone = loop().catch((error) =>
    log.error({ err: String(error) }, "consumer loop ended with an error"),
  );

  return {
    stats,
    async stop() {
      stopping.abort();
      await loopDone;
      await Promise.allSettled([...inFlight]);
    },
  };
}
