// The kill-switch and payouts, on the real PostgreSQL, NATS and Redis: while paused nothing is
// queued, submitted or settled — the treasury consumer waits behind the worker's ControlGate, and
// the payout steps check PostgreSQL themselves, so a payout queued just before the pause does not
// leave either. After resume everything pending is paid, once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlFanout, createControlFanout, pause, resume } from "@/server/contexts/control/api";
import { withTransaction } from "@/server/shared/db";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import { type RunningConsumer, startConsumer } from "@/workers/_runtime/consumer";
import { ControlGate } from "@/workers/_runtime/control-gate";
import type { Stoppable } from "@/workers/_runtime/worker";
import { treasuryJobs } from "@/workers/orchestrator/treasury-jobs";
import { startOutboxRelay } from "@/workers/outbox-relay/relay";
import { createIntent } from "../intents/create-intent";
import { getIntent } from "../intents/intent-view";
import { fundedIntentFixture, type IntentFixture } from "../intents/testing";
import { claimPayout } from "./claim-payout";
import { defaultPayoutLimits } from "./payout-rows";
import { submitPayout } from "./submit-payout";
import { testRails, testTreasurySettings } from "./testing";

let s: TestServices;
let f: IntentFixture;
let fanout: ControlFanout;
let relay: Stoppable;
let gate: ControlGate;
let consumers: RunningConsumer[] = [];
let loop: Stoppable;

beforeAll(async () => {
  s = await openTestServices();
  f = await fundedIntentFixture(s.db, 1_000_000n);
  fanout = createControlFanout({ namespace: s.namespace, nc: s.nc, redis: s.redis });
  relay = await startOutboxRelay(s, { pollMs: 50 });
}, 60_000);

afterAll(async () => {
  await loop?.stop();
  for (const c of consumers) await c.stop();
  await gate?.stop();
  await relay?.stop();
  await s?.close();
});

const change = (reason: string) => ({
  db: s.db,
  actor: { type: "user" as const, id: f.principals.founder.userId },
  actorName: "Ada Founder",
  correlationId: "cor_rails_pause",
  reason,
  fanout,
});

async function eventually<T>(probe: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > 15_000) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const create = (amountMinor: string) =>
  createIntent({
    db: s.db,
    ...f.as("founder"),
    requester: f.requester("founder"),
    input: {
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor,
      currency: "USD",
      counterparty: "acme",
      category: "compute",
      purpose: "GPU hours",
      idempotencyKey: `pause-${Math.random().toString(36).slice(2, 10)}`,
    },
  });

const status = async (intentId: string) =>
  (await getIntent({ db: s.db, portfolioId: f.portfolioId, intentId }))!.status;

const bankPayouts = async () =>
  Number(
    (
      await s.db.$queryRawUnsafe<Array<{ n: number }>>(
        "SELECT count(*)::int AS n FROM sandbox_rail_transactions WHERE kind = 'payout'",
      )
    )[0]!.n,
  );

describe("payouts and the kill-switch", () => {
  it("settles nothing while paused, and everything once after resume", async () => {
    // Approved before the pause: one waits on JetStream, one was already queued by a consumer.
    const waiting = await create("1500");
    const queued = await create("1700");
    expect([waiting.status, queued.status]).toEqual(["approved", "approved"]);
    expect(
      await withTransaction(s.db, (tx) => claimPayout(tx, { intentId: queued.id, rail: "sandbox" })),
    ).toBe("queued");
    await pause(change("incident drill"));

    gate = new ControlGate({
      worker: "orchestrator",
      instanceId: newId("workerInstance"),
      namespace: s.namespace,
      db: s.db,
      nats: { connection: s.nc },
      redis: s.redis,
      log: s.log,
      leaseRenewMs: 150,
      leaseTtlMs: 500,
    });
    await gate.start();
    const jobs = treasuryJobs({
      settings: testTreasurySettings(),
      limits: { pollMs: 50, backoffMs: 50 },
      tickMs: 100,
      expiryEveryMs: 200,
      reconcileCheckMs: 3_600_000,
    });
    consumers = await Promise.all(
      jobs.consumers.map((spec) => startConsumer(s, { ...spec, backoffMs: 50 }, gate)),
    );
    loop = await jobs.loop(s, { gate });

    await new Promise((r) => setTimeout(r, 1_500));
    expect(gate.isOpen()).toBe(false);
    expect(await bankPayouts()).toBe(0);
    expect([await status(waiting.id), await status(queued.id)]).toEqual(["approved", "approved"]);
    const rows = await s.db.$queryRawUnsafe<Array<{ intent_id: string; status: string }>>(
      "SELECT intent_id, status FROM treasury_payouts ORDER BY intent_id",
    );
    // The consumer did not even queue the waiting one; the queued one was not sent.
    expect(rows).toEqual([{ intent_id: queued.id, status: "submitting" }]);

    // A worker whose gate has not heard of the pause yet is stopped by PostgreSQL itself.
    const direct = await submitPayout(
      {
        db: s.db,
        rails: testRails(s.db),
        limits: defaultPayoutLimits,
        actor: { type: "worker", id: "late-gate" },
        correlationId: "cor_late_gate",
      },
      queued.id,
    );
    expect(direct).toBe("paused");
    expect(await bankPayouts()).toBe(0);

    await resume(change("drill over"));
    await eventually(async () => (await status(waiting.id)) === "settled", "waiting intent settled");
    await eventually(async () => (await status(queued.id)) === "settled", "queued intent settled");
    expect(await bankPayouts()).toBe(2);
    const posted = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM ledger_entries WHERE hold_id = ANY($1::text[])",
      [waiting.holdId, queued.holdId],
    );
    expect(posted[0]!.n).toBe(2);
  }, 40_000);
});
