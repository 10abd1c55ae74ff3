// The consumer harness against the real NATS JetStream and PostgreSQL: the whole outbox → relay →
// consumer path, duplicates, malformed messages, retries and dead letters.
import { type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { getVenture } from "@/server/contexts/orchestration/get-venture";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";
import { ventureProvisioning } from "../orchestrator/venture-provisioning";
import { startOutboxRelay } from "../outbox-relay/relay";
import { type ConsumerSpec, type RunningConsumer, startConsumer } from "./consumer";
import type { DispatchGate } from "./gate";
import type { Stoppable } from "./worker";

let s: TestServices;
let relay: Stoppable;
const running: RunningConsumer[] = [];
const actor = { type: "system" as const, id: "test" };

async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function dlqMessages(consumer: string): Promise<JsMsg[]> {
  const jsm = await jetstreamManager(s.nc);
  const info = await jsm.streams.info(s.names.dlqStream);
  if (info.state.messages === 0) return [];
  const js = jetstream(s.nc);
  const durable = `dlqread_${Math.random().toString(36).slice(2, 8)}`;
  await jsm.consumers.add(s.names.dlqStream, {
    durable_name: durable,
    filter_subject: s.names.dlqSubject(consumer),
    ack_policy: "none" as never,
  });
  const c = await js.consumers.get(s.names.dlqStream, durable);
  const out: JsMsg[] = [];
  const batch = await c.fetch({ max_messages: 100, expires: 1_000 });
  for await (const m of batch) out.push(m);
  await jsm.consumers.delete(s.names.dlqStream, durable);
  return out;
}

beforeAll(async () => {
  s = await openTestServices();
  relay = await startOutboxRelay(s, { pollMs: 200 });
});
afterAll(async () => {
  for (const c of running) await c.stop();
  await relay.stop();
  await s.close();
});

describe("round trip: command → event + outbox → JetStream → worker → result event", () => {
  it("provisions a created venture and records the result as an event caused by the first", async () => {
    running.push(await startConsumer(s, ventureProvisioning));
    const { portfolioId } = await createPortfolio({ db: s.db, actor, correlationId: "cor_rt", name: "RT" });
    const venture = await createVenture({
      db: s.db,
      actor,
      correlationId: "cor_rt",
      portfolioId,
      name: "Round Trip",
      goal: null,
    });
    expect(venture.status).toBe("provisioning");
    const ready = await eventually(async () => {
      const v = await getVenture({ db: s.db, ventureId: venture.id });
      return v?.status === "ready" ? v : null;
    });
    expect(ready.version).toBe(2);
    // Sealed by the relay, or by us; sealEvents returns 0 while the relay holds the sealer's lock,
    // so wait for the provisioning event to be in the chain rather than seal once.
    const events = await eventually(async () => {
      await sealEvents(s.db);
      const read = await readEvents(s.db, { correlationId: "cor_rt" });
      return read.some((e) => e.type === "orchestration.venture_provisioned") ? read : null;
    });
    const created = events.find((e) => e.type === "orchestration.venture_created")!;
    const provisioned = events.find((e) => e.type === "orchestration.venture_provisioned")!;
    expect(provisioned.causationId).toBe(created.id);
    expect(provisioned.actor).toEqual({ type: "worker", id: "orchestrator" });
    // Nothing is left in the outbox once the relay has published.
    await eventually(async () => {
      const rows = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM outbox");
      return Number(rows[0]!.n) === 0;
    });
  });
});

describe("consumer harness", () => {
  it("has the effect of a message delivered twice only once", async () => {
    const seen: string[] = [];
    const spec: ConsumerSpec = {
      name: "dup-probe",
      eventTypes: ["orchestration.portfolio_created"],
      async handle(envelope, { tx }) {
        seen.push(envelope.id);
        await tx.$executeRawUnsafe("SELECT 1");
      },
    };
    running.push(await startConsumer(s, spec));
    const { portfolioId } = await createPortfolio({ db: s.db, actor, correlationId: "cor_dup", name: "Dup" });
    // Readable once the relay has sealed it into the chain.
    const event = await eventually(async () =>
      (await readEvents(s.db, { correlationId: "cor_dup" })).find((e) => e.stream.id === portfolioId),
    );
    await eventually(async () => seen.includes(event!.id));
    // Publish the same event again with a different msgID so JetStream's own dedupe cannot drop it:
    // the harness's inbox must.
    const js = jetstream(s.nc);
    await js.publish(s.names.eventSubject(event!.type), JSON.stringify(event), {
      msgID: `${event!.id}-again`,
    });
    await eventually(async () => running.at(-1)!.stats.duplicates >= 1);
    expect(seen.filter((id) => id === event!.id)).toHaveLength(1);
    const inbox = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      "SELECT count(*) AS n FROM inbox WHERE consumer = 'dup-probe' AND event_id = $1",
      event!.id,
    );
    expect(Number(inbox[0]!.n)).toBe(1);
  });

  it("keeps what it fetched while its gate is closed and starts it once open, never counting the pause as a delivery", async () => {
    // A gate the test opens and closes (the kill-switch's, without the control plane).
    let open = true;
    const waiters: Array<() => void> = [];
    const gate: DispatchGate = {
      isOpen: () => open,
      waitOpen: (signal) =>
        open
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              waiters.push(resolve);
              signal.addEventListener("abort", () => reject(signal.reason), { once: true });
            }),
    };
    const setOpen = (value: boolean) => {
      open = value;
      if (value) for (const wake of waiters.splice(0)) wake();
    };
    let releaseFirst = () => {};
    const firstBlocked = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const handled: Array<{ name: string; deliveries: number; gateOpen: boolean }> = [];
    let aStarted = false;
    const names = ["Held A", "Held B", "Held C"];
    // Three of ours, published before the consumer starts, so they come in the same pulls.
    for (const name of names) await createPortfolio({ db: s.db, actor, correlationId: "cor_held", name });
    await eventually(
      async () =>
        (await readEvents(s.db, { correlationId: "cor_held" })).filter(
          (e) => e.type === "orchestration.portfolio_created",
        ).length === 3,
    );
    const consumer = await startConsumer(
      s,
      {
        name: "held-probe",
        eventTypes: ["orchestration.portfolio_created"],
        // One at a time, and a single delivery allowed: a nak on pause would lose B and C.
        concurrency: 1,
        maxDeliver: 1,
        async handle(envelope, { deliveryCount }) {
          const name = (envelope.payload as { name: string }).name;
          if (!names.includes(name)) return;
          // Whether the gate was open when the handler started.
          const gateOpen = gate.isOpen();
          if (name === "Held A") {
            aStarted = true;
            await firstBlocked;
          }
          handled.push({ name, deliveries: deliveryCount, gateOpen });
        },
      },
      gate,
    );
    running.push(consumer);
    // A is running (B and C fetched behind it); the gate closes; A finishes; B and C wait for it.
    await eventually(async () => aStarted);
    await new Promise((r) => setTimeout(r, 300));
    setOpen(false);
    releaseFirst();
    await eventually(async () => handled.some((h) => h.name === "Held A"));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(handled.map((h) => h.name)).toEqual(["Held A"]);
    setOpen(true);
    await eventually(async () => handled.length === 3, 10_000);
    expect(handled.map((h) => h.name)).toEqual(names);
    expect(handled.every((h) => h.gateOpen)).toBe(true);
    expect(handled.map((h) => h.deliveries)).toEqual([1, 1, 1]);
    expect(consumer.stats.deadLettered).toBe(0);
  });

  it("terminates a malformed message to the dead-letter subject without calling the handler", async () => {
    let calls = 0;
    const consumer = await startConsumer(s, {
      name: "malformed-probe",
      eventTypes: ["orchestration.venture_provisioned"],
      async handle() {
        calls++;
      },
    });
    running.push(consumer);
    const js = jetstream(s.nc);
    await js.publish(s.names.eventSubject("orchestration.venture_provisioned"), "{not json");
    await js.publish(
      s.names.eventSubject("orchestration.venture_provisioned"),
      JSON.stringify({ id: "evt_bad", type: "orchestration.venture_provisioned", payload: {} }),
    );
    await eventually(async () => consumer.stats.deadLettered >= 2);
    // Only the valid venture_provisioned events of this file reached the handler.
    const valid = (await readEvents(s.db, { limit: 1000 })).filter(
      (e) => e.type === "orchestration.venture_provisioned",
    );
    expect(calls).toBe(valid.length);
    const dead = await dlqMessages("malformed-probe");
    const reasons = dead.map((m) => m.headers?.get("Venture-Reason") ?? "");
    expect(reasons).toContain("message is not JSON");
    expect(reasons.some((r) => r.startsWith("invalid envelope"))).toBe(true);
    // Terminated, not retried: the handler never ran and nothing was redelivered.
    await new Promise((r) => setTimeout(r, 300));
    expect(consumer.stats.deadLettered).toBe(2);
  });

  it("declares its consumer again when JetStream has lost it (a NATS server back without its state), and goes on", async () => {
    const seen = new Set<string>();
    const consumer = await startConsumer(s, {
      name: "lost-probe",
      eventTypes: ["orchestration.portfolio_created"],
      async handle(envelope) {
        seen.add(envelope.stream.id);
      },
    });
    running.push(consumer);
    const first = await createPortfolio({ db: s.db, actor, correlationId: "cor_lost", name: "Before" });
    await eventually(async () => seen.has(first.portfolioId));
    const jsm = await jetstreamManager(s.nc);
    await jsm.consumers.delete(s.names.eventsStream, s.names.durable("lost-probe"));
    const second = await createPortfolio({ db: s.db, actor, correlationId: "cor_lost", name: "After" });
    await eventually(async () => seen.has(second.portfolioId), 20_000);
    // Declared again from the start of the stream: what it had handled comes again and the inbox
    // drops it.
    await eventually(async () => consumer.stats.duplicates >= 1);
    expect((await jsm.consumers.info(s.names.eventsStream, s.names.durable("lost-probe"))).name).toBe(
      s.names.durable("lost-probe"),
    );
  }, 40_000);

  it("retries a failing handler with backoff, then dead-letters it after the last delivery", async () => {
    let attempts = 0;
    const consumer = await startConsumer(s, {
      name: "failing-probe",
      eventTypes: ["orchestration.portfolio_created"],
      maxDeliver: 3,
      backoffMs: 20,
      async handle(envelope, { tx }) {
        attempts++;
        // The handler's writes roll back with it: the inbox row must not survive a failure.
        await tx.$executeRawUnsafe("SELECT 1");
        if (envelope.payload && attempts < 100) throw new Error("downstream unavailable");
      },
    });
    running.push(consumer);
    await createPortfolio({ db: s.db, actor, correlationId: "cor_fail", name: "Fails" });
    await eventually(async () => consumer.stats.deadLettered >= 1);
    expect(attempts).toBeGreaterThanOrEqual(3);
    const dead = await dlqMessages("failing-probe");
    expect(dead.at(-1)?.headers?.get("Venture-Reason")).toMatch(
      /handler failed 3 times: downstream unavailable/,
    );
    const inbox = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      "SELECT count(*) AS n FROM inbox WHERE consumer = 'failing-probe'",
    );
    // This consumer starts at the beginning of the stream and every attempt failed, so no inbox
    // row survived: the inbox insert rolls back with the failed handler.
    expect(Number(inbox[0]!.n)).toBe(0);
  });
});
