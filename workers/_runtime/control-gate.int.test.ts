// The kill-switch gate against the real PostgreSQL, NATS and Redis: a running consumer stops on a
// pause and picks up, exactly once, what was published meanwhile; confirmations; fail-closed when
// Redis or NATS cannot be reached or the lease cannot be renewed.
import net from "node:net";
import { jetstream } from "@nats-io/jetstream";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ControlConfirmation,
  type ControlFanout,
  confirmationSchema,
  controlNames,
  createControlFanout,
  pause,
  resume,
} from "@/server/contexts/control/api";
import type { AnyEnvelope } from "@/server/shared/events/envelope";
import { newId } from "@/server/shared/ids";
import { createRedis } from "@/server/shared/redis";
import { openTestServices, type TestServices } from "@/test/services";
import { type ConsumerSpec, type RunningConsumer, startConsumer } from "./consumer";
import { ControlGate, type ControlGateOptions, type PauseCause } from "./control-gate";

let s: TestServices;
let fanout: ControlFanout;
const gates: ControlGate[] = [];
const consumers: RunningConsumer[] = [];
const renewMs = 150;
const ttlMs = 500;

function makeGate(overrides: Partial<ControlGateOptions> = {}): ControlGate {
  const gate = new ControlGate({
    worker: "test-worker",
    instanceId: newId("workerInstance"),
    namespace: s.namespace,
    db: s.db,
    nats: { connection: s.nc },
    redis: s.redis,
    log: s.log,
    leaseRenewMs: renewMs,
    leaseTtlMs: ttlMs,
    ...overrides,
  });
  gates.push(gate);
  return gate;
}

const change = (reason: string) => ({
  db: s.db,
  actor: { type: "user" as const, id: "usr_test" },
  actorName: "Ada Operator",
  correlationId: "cor_gate",
  reason,
  fanout,
});

async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port on 127.0.0.1 that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A valid envelope published straight to JetStream, as the relay would. */
function envelope(name: string): AnyEnvelope {
  const portfolioId = `pf_${name}`;
  return {
    id: newId("event"),
    type: "orchestration.portfolio_created",
    schemaVersion: 1,
    stream: { type: "portfolio", id: portfolioId, version: 1 },
    portfolioId,
    occurredAt: new Date().toISOString(),
    actor: { type: "system", id: "test" },
    correlationId: "cor_gate",
    causationId: null,
    payload: { portfolioId, name },
    sequence: 1,
    prevHash: "0".repeat(64),
    hash: "1".repeat(64),
  };
}

async function publish(event: AnyEnvelope): Promise<void> {
  await jetstream(s.nc).publish(s.names.eventSubject(event.type), JSON.stringify(event), { msgID: event.id });
}

beforeAll(async () => {
  s = await openTestServices();
  fanout = createControlFanout({ namespace: s.namespace, nc: s.nc, redis: s.redis });
});
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.stop();
  for (const g of gates.splice(0)) await g.stop();
  await resume(change("test reset"));
});
afterAll(async () => {
  await s.close();
});

describe("ControlGate with a running consumer", () => {
  it("stops handling on a pause and handles what was published meanwhile exactly once after resume", async () => {
    const gate = makeGate();
    await gate.start();
    // The first round may time out on cold connections; the next renewal opens it.
    await eventually(() => gate.isOpen(), 2_000);
    expect(gate.status()).toMatchObject({ open: true, state: "running" });
    const seen: string[] = [];
    const spec: ConsumerSpec = {
      name: "gate-probe",
      eventTypes: ["orchestration.portfolio_created"],
      ackWaitMs: 2_000,
      backoffMs: 100,
      async handle(event, { tx }) {
        seen.push(event.id);
        await tx.$executeRawUnsafe("SELECT 1");
      },
    };
    const consumer = await startConsumer(s, spec, gate);
    consumers.push(consumer);

    const before = envelope("before");
    await publish(before);
    await eventually(() => seen.includes(before.id));

    await pause(change("stop the line"));
    // pause() returns once the announcement reached NATS; the gate hears it well before its next
    // lease renewal would tell it (usually before pause() has even returned).
    const announcedAt = performance.now();
    await eventually(() => !gate.isOpen(), ttlMs + renewMs);
    expect(performance.now() - announcedAt).toBeLessThan(renewMs);

    const during = envelope("during");
    await publish(during);
    await sleep(1_500);
    expect(seen).not.toContain(during.id);
    expect(gate.status()).toMatchObject({ open: false, state: "paused" });

    await resume(change("line restarted"));
    await eventually(() => gate.isOpen(), 2_000);
    await eventually(() => seen.includes(during.id), 10_000);
    // Redeliveries of what was handed back during the pause must not run it again.
    await sleep(1_500);
    expect(seen.filter((id) => id === during.id)).toHaveLength(1);
    expect(seen.filter((id) => id === before.id)).toHaveLength(1);
    const inbox = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      "SELECT count(*) AS n FROM inbox WHERE consumer = 'gate-probe' AND event_id = $1",
      during.id,
    );
    expect(Number(inbox[0]!.n)).toBe(1);
  });

  it("runs onPause hooks, aborts tracked work and confirms on NATS and in control_confirmations", async () => {
    const gate = makeGate({ worker: "agent-runtime" });
    await gate.start();
    await eventually(() => gate.isOpen(), 2_000);
    const causes: PauseCause[] = [];
    gate.onPause((cause) => {
      causes.push(cause);
      return { processGroups: 2 };
    });
    const modelCall = new AbortController();
    gate.trackAbortable(modelCall);
    const heard: ControlConfirmation[] = [];
    const sub = s.nc.subscribe(controlNames(s.namespace).confirmationSubject, {
      callback: (_e, msg) => {
        heard.push(confirmationSchema.parse(msg.json()));
      },
    });
    await s.nc.flush();

    const { state } = await pause(change("hooks"));

    await eventually(() => heard.length === 1);
    expect(causes).toEqual([{ cause: "pause", epoch: state.epoch, state }]);
    expect(modelCall.signal.aborted).toBe(true);
    expect(heard[0]).toMatchObject({
      instanceId: gate.instanceId,
      worker: "agent-runtime",
      epoch: state.epoch,
      pausedAt: state.since.toISOString(),
      terminated: { processGroups: 2, modelCalls: 1 },
    });
    expect(heard[0]!.tookMs).toBeLessThan(100);
    const rows = await eventually(async () => {
      const r = await s.db.$queryRawUnsafe<Array<{ worker: string; terminated: Record<string, number> }>>(
        "SELECT worker, terminated FROM control_confirmations WHERE epoch = $1 AND instance_id = $2",
        state.epoch,
        gate.instanceId,
      );
      return r.length > 0 ? r : null;
    });
    expect(rows![0]).toEqual({ worker: "agent-runtime", terminated: { processGroups: 2, modelCalls: 1 } });
    sub.unsubscribe();
  });

  it("a gate started while paused stays closed, runs its hooks and confirms", async () => {
    const { state } = await pause(change("before start"));
    const gate = makeGate();
    let hooked = 0;
    gate.onPause(() => {
      hooked++;
      return undefined;
    });
    await gate.start();
    expect(gate.isOpen()).toBe(false);
    await eventually(async () => {
      const r = await s.db.$queryRawUnsafe<unknown[]>(
        "SELECT 1 FROM control_confirmations WHERE epoch = $1 AND instance_id = $2",
        state.epoch,
        gate.instanceId,
      );
      return r.length === 1;
    });
    expect(hooked).toBe(1);
  });
});

describe("ControlGate fails closed", () => {
  it("stays closed when Redis cannot be reached", async () => {
    const redis = createRedis(`redis://127.0.0.1:${await closedPort()}`, s.namespace);
    redis.on("error", () => {});
    try {
      const gate = makeGate({ redis });
      await gate.start();
      expect(gate.isOpen()).toBe(false);
      await sleep(renewMs * 4);
      expect(gate.status()).toMatchObject({ open: false, state: "running" });
      expect(gate.status().reasons).toContain("Redis unreachable");
      const controller = new AbortController();
      const waiting = gate.waitOpen(controller.signal);
      controller.abort();
      await expect(waiting).rejects.toThrow(/aborted/);
    } finally {
      redis.disconnect();
    }
  });

  it("stays closed when NATS cannot be reached", async () => {
    const gate = makeGate({ nats: { url: `nats://127.0.0.1:${await closedPort()}` } });
    await gate.start();
    expect(gate.isOpen()).toBe(false);
    await sleep(renewMs * 4);
    expect(gate.isOpen()).toBe(false);
    expect(gate.status().reasons).toContain("NATS unreachable");
  });

  it("closes when the lease cannot be renewed, runs the hooks, and reopens once PostgreSQL answers", async () => {
    const gate = makeGate();
    const causes: string[] = [];
    gate.onPause((cause) => {
      causes.push(cause.cause);
      return undefined;
    });
    await gate.start();
    await eventually(() => gate.isOpen(), 2_000);
    // Hold control_state locked so every lease read hangs: the database "cannot confirm".
    const blocker = new pg.Client({ connectionString: s.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE control_state IN ACCESS EXCLUSIVE MODE");
      const lockedAt = performance.now();
      await eventually(() => !gate.isOpen(), ttlMs * 3);
      const closedAfterMs = performance.now() - lockedAt;
      // The last renewal was at most renewMs before the lock and the lease lasts ttlMs from it;
      // isOpen() reads the clock itself, so only this test's own polling adds (loaded machine: slack).
      expect(closedAfterMs).toBeLessThanOrEqual(ttlMs + 200);
      expect(gate.status().reasons).toContain("lease expired: PostgreSQL not confirmed in time");
      await eventually(() => causes.includes("lease_expired"));
      await sleep(renewMs * 2);
      expect(gate.isOpen()).toBe(false);
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    await eventually(() => gate.isOpen(), 3_000);
  });
});
