// Paying approved money intents through the built-in sandbox rail, end to end on the real
// PostgreSQL and NATS JetStream: the outbox relay publishes the approval, the treasury consumer
// (the one harness) queues the payout, the treasury loop submits it and settles it — the hold is
// posted, the intent settled with the rail's reference. Also: simulated failures void the hold, a
// redelivered approval pays once, expiry, the velocity auto-freeze, sandbox revenue, and
// reconciliation breaks that raise findings and freeze.
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { AppError } from "@/server/shared/errors";
import type { AnyEnvelope } from "@/server/shared/events/envelope";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import { type RunningConsumer, startConsumer } from "@/workers/_runtime/consumer";
import type { Stoppable } from "@/workers/_runtime/worker";
import { treasuryJobs } from "@/workers/orchestrator/treasury-jobs";
import { startOutboxRelay } from "@/workers/outbox-relay/relay";
import { approveIntent } from "../intents/approve-intent";
import { allowCounterparty } from "../intents/counterparties";
import { budgetAccountId, createIntent } from "../intents/create-intent";
import { getIntent } from "../intents/intent-view";
import { fundedIntentFixture, fundVenture, type IntentFixture } from "../intents/testing";
import { getBalances } from "../ledger/get-balances";
import { trialBalance } from "../ledger/trial-balance";
import { verifyLedger } from "../ledger/verify-ledger";
import { checkBurn } from "./check-burn";
import { claimPayout } from "./claim-payout";
import { receiveSandboxPayment } from "./receive-sandbox-payment";
import { reconcileDuePortfolios } from "./reconcile-due";
import { runReconciliation } from "./run-reconciliation";
import type { Rails } from "./settings";
import { testRails, testTreasurySettings } from "./testing";

let s: TestServices;
let f: IntentFixture;
let relay: Stoppable;
let consumers: RunningConsumer[] = [];
let loop: Stoppable & { stats: Record<string, number>; rails: Rails };
let rails: Rails;
let n = 0;

const velocityMax = 10;

beforeAll(async () => {
  s = await openTestServices();
  f = await fundedIntentFixture(s.db, 10_000_000n);
  await allowCounterparty({ db: s.db, ventureId: f.ventureId, counterpartyId: "bad-bank" });
  const jobs = treasuryJobs({
    settings: testTreasurySettings({
      velocity: { windowSeconds: 60, maxIntents: velocityMax, maxAmountMinor: 1_000_000_000n },
    }),
    limits: { pollMs: 50, backoffMs: 50 },
    tickMs: 100,
    expiryEveryMs: 200,
    reconcileCheckMs: 3_600_000,
  });
  relay = await startOutboxRelay(s, { pollMs: 50 });
  consumers = await Promise.all(jobs.consumers.map((spec) => startConsumer(s, { ...spec, backoffMs: 50 })));
  loop = await jobs.loop(s, { gate: { isOpen: () => true, waitOpen: async () => {} } });
  rails = testRails(s.db);
}, 60_000);

afterAll(async () => {
  await loop?.stop();
  for (const c of consumers) await c.stop();
  await relay?.stop();
  await s?.close();
});

async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const input = (over: Record<string, unknown> = {}, fx: IntentFixture = f) => ({
  portfolioId: fx.portfolioId,
  ventureId: fx.ventureId,
  amountMinor: "2500",
  currency: "USD",
  counterparty: "acme",
  category: "saas",
  purpose: "A month of the analytics tool",
  idempotencyKey: `pay-${++n}-${Math.random().toString(36).slice(2, 8)}`,
  ...over,
});

const create = (over: Record<string, unknown> = {}, fx: IntentFixture = f) =>
  createIntent({ db: s.db, ...fx.as("founder"), requester: fx.requester("founder"), input: input(over, fx) });

async function available(ventureId: string): Promise<bigint> {
  const [budget] = await getBalances(s.db, { accountIds: [budgetAccountId(ventureId, "USD")] });
  return budget!.availableMinor;
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(sql, ...params);
  return Number(row?.n ?? 0);
}

/** Another funded venture in the fixture's portfolio, allowed to pay acme and bad-bank. */
async function newVenture(budgetMinor = 5_000_000n): Promise<IntentFixture> {
  const venture = await createVenture({
    db: s.db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_rails",
    portfolioId: f.portfolioId,
    name: `Rails venture ${Math.random().toString(36).slice(2, 8)}`,
    goal: null,
  });
  await fundVenture(s.db, f.portfolioId, venture.id, budgetMinor);
  await allowCounterparty({ db: s.db, ventureId: venture.id, counterpartyId: "acme" });
  await allowCounterparty({ db: s.db, ventureId: venture.id, counterpartyId: "bad-bank" });
  return { ...f, ventureId: venture.id };
}

const settledStatus = (intentId: string, fx: IntentFixture = f) =>
  eventually(async () => {
    const intent = await getIntent({ db: s.db, portfolioId: fx.portfolioId, intentId });
    return intent && ["settled", "failed"].includes(intent.status) ? intent : null;
  }, `intent ${intentId} settled or failed`);

describe("settlement through the sandbox rail", () => {
  it("pays an approved intent in the worker: the hold is posted and the rail reference recorded", async () => {
    const before = await available(f.ventureId);
    const intent = await create({ amountMinor: "2500" });
    expect(intent.status).toBe("approved");
    const done = await settledStatus(intent.id);
    expect(done.status).toBe("settled");
    expect(done.settlement).toMatchObject({ rail: "sandbox", status: "settled", railStatus: "paid" });
    expect(done.settlement!.railReference).toMatch(/^sbx_po_/);
    // The money left: the expense is posted, the budget drained by exactly the amount, nothing pending.
    expect(await available(f.ventureId)).toBe(before - 2_500n);
    const [expense] = await getBalances(s.db, { accountIds: [`${f.ventureId}:expense:saas:USD`] });
    expect(expense!.debitsPostedMinor).toBeGreaterThanOrEqual(2_500n);
    expect(expense!.debitsPendingMinor).toBe(0n);
    // The bank paid it once, to the counterparty, under the intent id.
    const [bank] = await s.db.$queryRawUnsafe<
      Array<{ id: string; amount_minor: bigint; status: string; party: string }>
    >(
      "SELECT id, amount_minor, status, party FROM sandbox_rail_transactions WHERE idempotency_key = $1",
      intent.id,
    );
    expect(bank).toMatchObject({
      id: done.settlement!.railReference,
      amount_minor: -2_500n,
      status: "paid",
      party: "acme",
    });
    // Its story is in the intent's stream, in order.
    const types = await s.db.$queryRawUnsafe<Array<{ type: string }>>(
      "SELECT type FROM event_log WHERE stream_type = 'money_intent' AND stream_id = $1 ORDER BY stream_version",
      intent.id,
    );
    expect(types.map((t) => t.type)).toEqual([
      "treasury.intent_created",
      "treasury.intent_decided",
      "treasury.intent_settlement_submitted",
      "treasury.intent_settled",
    ]);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM event_log WHERE type = 'treasury.hold_posted' AND stream_id = $1",
        intent.holdId,
      ),
    ).toBe(1);
  });

  it("pays an intent a finance controller approved", async () => {
    const intent = await create({ amountMinor: "60000" });
    expect(intent.status).toBe("pending_approval");
    await approveIntent({
      db: s.db,
      ...f.as("finance_controller"),
      decider: { userId: f.principals.finance_controller.userId, role: "finance_controller" },
      portfolioId: f.portfolioId,
      intentId: intent.id,
      note: "expected invoice",
    });
    const done = await settledStatus(intent.id);
    expect(done.status).toBe("settled");
    expect(done.settlement?.railReference).toMatch(/^sbx_po_/);
  });

  it("a simulated failure voids the hold, gives the budget back and records the reason", async () => {
    const before = await available(f.ventureId);
    const intent = await create({ amountMinor: "4000", counterparty: "bad-bank" });
    expect(intent.status).toBe("approved");
    expect(await available(f.ventureId)).toBe(before - 4_000n);
    const done = await settledStatus(intent.id);
    expect(done.status).toBe("failed");
    expect(done.settlement).toMatchObject({ status: "failed", railStatus: "failed" });
    expect(done.settlement!.failureReason).toMatch(/bad-bank/);
    expect(done.reasons.join(" ")).toMatch(/Payment failed: .*bad-bank/);
    expect(await available(f.ventureId)).toBe(before);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM event_log WHERE type = 'treasury.hold_voided' AND stream_id = $1",
        intent.holdId,
      ),
    ).toBe(1);
    expect(
      await count("SELECT count(*)::int AS n FROM ledger_entries WHERE hold_id = $1", intent.holdId),
    ).toBe(0);
  });

  it("a redelivered approval, a second claim and a repeated submit pay once", async () => {
    const intent = await create({ amountMinor: "3100" });
    const done = await settledStatus(intent.id);
    expect(done.status).toBe("settled");
    // Deliver the approval again as a new message (past JetStream's duplicate window).
    const [row] = await s.db.$queryRawUnsafe<
      Array<{ envelope: string; sequence: bigint; prev_hash: string; hash: string }>
    >(
      `SELECT envelope, sequence, prev_hash, hash FROM events
        WHERE stream_type = 'money_intent' AND stream_id = $1 AND type = 'treasury.intent_decided'`,
      intent.id,
    );
    const envelope = {
      ...(JSON.parse(row!.envelope) as object),
      sequence: Number(row!.sequence),
      prevHash: row!.prev_hash,
      hash: row!.hash,
    } as AnyEnvelope;
    const handledBefore = consumers[0]!.stats.handled + consumers[0]!.stats.duplicates;
    await jetstream(s.nc).publish(s.names.eventSubject(envelope.type), JSON.stringify(envelope), {
      msgID: newId("event"),
    });
    await eventually(
      async () => consumers[0]!.stats.handled + consumers[0]!.stats.duplicates > handledBefore,
      "redelivery handled",
    );
    expect(consumers[0]!.stats.duplicates).toBeGreaterThan(0);
    // Queuing it again directly changes nothing, and the rail returns the payout it already made.
    const { withTransaction } = await import("@/server/shared/db");
    expect(
      await withTransaction(s.db, (tx) => claimPayout(tx, { intentId: intent.id, rail: "sandbox" })),
    ).toBe("already_queued");
    const again = await rails.sandbox.submitPayout({
      idempotencyKey: intent.id,
      intentId: intent.id,
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor: 3_100n,
      currency: "USD",
      counterparty: "acme",
      description: "again",
    });
    expect(again.reference).toBe(done.settlement!.railReference);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      await count(
        "SELECT count(*)::int AS n FROM sandbox_rail_transactions WHERE idempotency_key = $1",
        intent.id,
      ),
    ).toBe(1);
    expect(
      await count("SELECT count(*)::int AS n FROM ledger_entries WHERE hold_id = $1", intent.holdId),
    ).toBe(1);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM event_log WHERE type = 'treasury.intent_settled' AND stream_id = $1",
        intent.id,
      ),
    ).toBe(1);
    // The same key with another amount is refused by the rail, not paid.
    await expect(
      rails.sandbox.submitPayout({
        idempotencyKey: intent.id,
        intentId: intent.id,
        portfolioId: f.portfolioId,
        ventureId: f.ventureId,
        amountMinor: 9_999n,
        currency: "USD",
        counterparty: "acme",
        description: "tampered",
      }),
    ).rejects.toThrow(/already used for a different payout/);
  });

  it("denied and pending intents are never paid; internal budget moves are not paid out", async () => {
    const pending = await create({ amountMinor: "70000" });
    const internal = await create({ amountMinor: "1000", category: "budget_transfer" });
    await new Promise((r) => setTimeout(r, 800));
    expect(
      await count("SELECT count(*)::int AS n FROM treasury_payouts WHERE intent_id = ANY($1::text[])", [
        pending.id,
        internal.id,
      ]),
    ).toBe(0);
    expect((await getIntent({ db: s.db, portfolioId: f.portfolioId, intentId: pending.id }))!.status).toBe(
      "pending_approval",
    );
  });
});

describe("intent expiry", () => {
  it("expires a pending intent past its expiry, releases its hold and refuses approval with 422", async () => {
    const fx = await newVenture();
    const before = await available(fx.ventureId);
    const intent = await create({ amountMinor: "80000" }, fx);
    expect(intent.status).toBe("pending_approval");
    expect(await available(fx.ventureId)).toBe(before - 80_000n);
    // The intent's own clock ran out (its expiry is a projection column; the hold keeps its own).
    await s.db.$executeRawUnsafe(
      "UPDATE money_intents SET expires_at = now() - interval '1 second' WHERE id = $1",
      intent.id,
    );
    const expired = await eventually(async () => {
      const view = await getIntent({ db: s.db, portfolioId: fx.portfolioId, intentId: intent.id });
      return view?.status === "expired" ? view : null;
    }, "intent expired");
    expect(expired.reasons.join(" ")).toMatch(/Expired at/);
    expect(await available(fx.ventureId)).toBe(before);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM event_log WHERE type = 'treasury.intent_expired' AND stream_id = $1",
        intent.id,
      ),
    ).toBe(1);
    expect(
      await count("SELECT count(*)::int AS n FROM ledger_hold_resolutions WHERE hold_id = $1", intent.holdId),
    ).toBe(1);
    const refusal = await approveIntent({
      db: s.db,
      ...fx.as("finance_controller"),
      decider: { userId: fx.principals.finance_controller.userId, role: "finance_controller" },
      portfolioId: fx.portfolioId,
      intentId: intent.id,
      note: "too late",
    }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).code).toBe("UNPROCESSABLE");
    expect((refusal as AppError).status).toBe(422);
    expect((refusal as AppError).details.reason).toBe("intent_expired");
  });
});

describe("automatic freeze on a velocity spike", () => {
  it("freezes the venture with a machine actor, raises a finding, and new intents are denied", async () => {
    const fx = await newVenture();
    for (let i = 0; i <= velocityMax; i++) await create({ amountMinor: "100" }, fx);
    const freeze = await eventually(async () => {
      const [row] = await s.db.$queryRawUnsafe<Array<{ reason: string; frozen_by: string }>>(
        "SELECT reason, frozen_by FROM treasury_freezes WHERE id = $1",
        fx.ventureId,
      );
      return row;
    }, "venture frozen");
    expect(freeze.frozen_by).toBe("treasury-anomaly-guard");
    expect(freeze.reason).toMatch(/velocity spike/);
    const [finding] = await s.db.$queryRawUnsafe<Array<{ severity: string; owner: string; title: string }>>(
      "SELECT severity, owner, title FROM findings WHERE kind = 'treasury.velocity_spike' AND title LIKE $1",
      `%${fx.ventureId}%`,
    );
    expect(finding).toMatchObject({ severity: "high", owner: "finance_controller" });
    const denied = await create({ amountMinor: "100" }, fx);
    expect(denied.status).toBe("denied");
    expect(denied.reasons.join(" ")).toMatch(/frozen/);
    // Other ventures keep working.
    expect((await create({ amountMinor: "100" })).status).toBe("approved");
    expect(
      await count(
        `SELECT count(*)::int AS n FROM event_log WHERE type = 'treasury.anomaly_detected'
           AND envelope::jsonb->'payload'->>'ventureId' = $1
           AND envelope::jsonb->'payload'->>'kind' = 'velocity_spike'`,
        fx.ventureId,
      ),
    ).toBe(1);
  });
});

describe("automatic freeze on a burn spike", () => {
  it("freezes a venture whose settled spend jumps above its usual burn", async () => {
    const fx = await newVenture();
    const paid = await create({ amountMinor: "9000" }, fx);
    expect((await settledStatus(paid.id, fx)).status).toBe("settled");
    const burn = { windowSeconds: 3_600, factor: 5, minMinor: 10_000n };
    const ctx = { db: s.db, actor: { type: "worker" as const, id: "test" }, correlationId: "cor_burn_test" };
    // Below the minimum: quiet.
    expect(await checkBurn(ctx, { settings: burn, ventureId: fx.ventureId })).toEqual({
      spike: null,
      frozen: false,
    });
    const more = await create({ amountMinor: "9000" }, fx);
    expect((await settledStatus(more.id, fx)).status).toBe("settled");
    const spike = await checkBurn(ctx, { settings: burn, ventureId: fx.ventureId });
    expect(spike.frozen).toBe(true);
    expect(spike.spike).toMatch(/18000 USD minor units settled/);
    const [freeze] = await s.db.$queryRawUnsafe<Array<{ reason: string }>>(
      "SELECT reason FROM treasury_freezes WHERE id = $1",
      fx.ventureId,
    );
    expect(freeze!.reason).toMatch(/burn spike/);
    // Already frozen: the next check adds nothing.
    expect((await checkBurn(ctx, { settings: burn, ventureId: fx.ventureId })).frozen).toBe(false);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM findings WHERE kind = 'treasury.burn_spike' AND title LIKE $1",
        `%${fx.ventureId}%`,
      ),
    ).toBe(1);
  });
});

describe("revenue through the sandbox rail", () => {
  it("posts cash and revenue once per payment, and the books add up", async () => {
    const fx = await newVenture(1_000n);
    const pay = () =>
      receiveSandboxPayment({
        db: s.db,
        rails,
        ...fx.as("founder"),
        input: {
          portfolioId: fx.portfolioId,
          ventureId: fx.ventureId,
          amountMinor: "12345",
          currency: "USD",
          customer: "school district 7",
          idempotencyKey: "first-sale",
        },
      });
    const first = await pay();
    const second = await pay();
    expect(first.duplicate).toBe(false);
    expect(second).toMatchObject({ receiptId: first.receiptId, duplicate: true });
    const [cash, revenue] = await getBalances(s.db, {
      accountIds: [`${fx.ventureId}:cash:USD`, `${fx.ventureId}:revenue:USD`],
    });
    expect(cash!.debitsPostedMinor - cash!.creditsPostedMinor).toBe(12_345n);
    expect(revenue!.creditsPostedMinor - revenue!.debitsPostedMinor).toBe(12_345n);
    const events = await s.db.$queryRawUnsafe<Array<{ payload: { amountMinor: string; rail: string } }>>(
      "SELECT envelope::jsonb->'payload' AS payload FROM event_log WHERE type = 'treasury.revenue_received' AND envelope::jsonb->'payload'->>'ventureId' = $1",
      fx.ventureId,
    );
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ amountMinor: "12345", rail: "sandbox" }),
    ]);
    const venture = await trialBalance(s.db, { ventureId: fx.ventureId });
    expect(venture.currencies.every((c) => c.netPostedMinor === 0n)).toBe(true);
    const check = await verifyLedger(s.db);
    expect(check).toMatchObject({ ok: true });
    // Bad input names the field and writes nothing.
    const bad = await receiveSandboxPayment({
      db: s.db,
      rails,
      ...fx.as("founder"),
      input: {
        portfolioId: fx.portfolioId,
        ventureId: fx.ventureId,
        amountMinor: "-5",
        currency: "USD",
        idempotencyKey: "bad",
      },
    }).catch((e: unknown) => e);
    expect((bad as AppError).code).toBe("BAD_REQUEST");
    expect((bad as AppError).details.fields).toHaveProperty("amountMinor");
    expect(
      await count(
        "SELECT count(*)::int AS n FROM sandbox_rail_transactions WHERE idempotency_key = $1",
        `${fx.portfolioId}:bad`,
      ),
    ).toBe(0);
  });
});

describe("reconciliation", () => {
  const reconcile = (freezeOnBreak = true) => {
    const to = new Date(Date.now() + 1_000);
    return runReconciliation({
      db: s.db,
      rails,
      ...f.as("finance_controller"),
      portfolioId: f.portfolioId,
      rail: "sandbox",
      from: new Date(to.getTime() - 3_600_000),
      to,
      trigger: "request",
      requestedBy: f.principals.finance_controller.userId,
      freezeOnBreak,
    });
  };

  it("balances when the ledger and the sandbox statement agree", async () => {
    // Let every payout queued so far settle first.
    // Let every payout queued so far settle first (those of frozen ventures are held back).
    await eventually(
      async () =>
        (await count(
          `SELECT count(*)::int AS n FROM treasury_payouts p
            WHERE p.status = 'submitted'
               OR (p.status = 'submitting' AND NOT EXISTS (SELECT 1 FROM treasury_freezes z WHERE z.id = p.venture_id))`,
        )) === 0,
      "payouts settled",
    );
    const run = await reconcile();
    expect(run.mismatches).toEqual([]);
    expect(run.status).toBe("balanced");
    expect(run.matched).toBeGreaterThanOrEqual(5);
    expect(run.frozen).toEqual([]);
    const [event] = await s.db.$queryRawUnsafe<Array<{ payload: { status: string; matched: number } }>>(
      "SELECT envelope::jsonb->'payload' AS payload FROM event_log WHERE type = 'treasury.reconciliation_completed' AND stream_id = $1",
      run.id,
    );
    expect(event!.payload).toMatchObject({ status: "balanced", matched: run.matched });
  });

  it("a booking only the bank has, and an amount that differs, become findings and freeze the venture", async () => {
    const fx = await newVenture();
    const paid = await create({ amountMinor: "5000" }, fx);
    const settled = await settledStatus(paid.id, fx);
    expect(settled.status).toBe("settled");
    // The bank charged a fee the ledger never heard of, and paid a different amount than recorded.
    const fee = await rails.sandbox.bookAdjustment({
      portfolioId: fx.portfolioId,
      ventureId: fx.ventureId,
      amountMinor: -350n,
      currency: "USD",
      description: "wire fee",
    });
    await s.db.$executeRawUnsafe(
      "UPDATE sandbox_rail_transactions SET amount_minor = -5500 WHERE id = $1",
      settled.settlement!.railReference,
    );
    const run = await reconcile();
    expect(run.status).toBe("breaks");
    expect(run.mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: "missing_in_ledger",
          railReference: fee,
          ventureId: fx.ventureId,
          railAmountMinor: "-350",
        }),
        expect.objectContaining({
          kind: "amount_differs",
          railReference: settled.settlement!.railReference,
          ledgerAmountMinor: "-5000",
          railAmountMinor: "-5500",
        }),
      ]),
    );
    expect(run.mismatchCount).toBe(2);
    expect(run.findingIds).toHaveLength(2);
    expect(run.frozen).toEqual([fx.ventureId]);
    const findings = await s.db.$queryRawUnsafe<Array<{ severity: string; owner: string; kind: string }>>(
      "SELECT severity, owner, kind FROM findings WHERE id = ANY($1::text[])",
      run.findingIds,
    );
    expect(
      findings.every((x) => x.kind === "treasury.reconciliation_break" && x.owner === "finance_controller"),
    ).toBe(true);
    const denied = await create({ amountMinor: "100" }, fx);
    expect(denied.status).toBe("denied");
    expect(denied.reasons.join(" ")).toMatch(/reconciliation break/);
    // A second run raises no second finding for the same break.
    const again = await reconcile();
    expect(again.findingIds.sort()).toEqual(run.findingIds.sort());
    expect(again.frozen).toEqual([]);
    // Put the bank's book back for the other tests of this file.
    await s.db.$executeRawUnsafe("DELETE FROM sandbox_rail_transactions WHERE id = $1", fee);
    await s.db.$executeRawUnsafe(
      "UPDATE sandbox_rail_transactions SET amount_minor = -5000 WHERE id = $1",
      settled.settlement!.railReference,
    );
  });

  it("a statement that cannot be read makes a failed run that freezes nothing", async () => {
    const broken: Rails = {
      ...rails,
      get: () => ({
        ...rails.sandbox,
        listStatement: async () => {
          throw new Error("bank offline");
        },
      }),
    };
    const to = new Date();
    const run = await runReconciliation({
      db: s.db,
      rails: broken,
      ...f.as("finance_controller"),
      portfolioId: f.portfolioId,
      rail: "sandbox",
      from: new Date(to.getTime() - 3_600_000),
      to,
      trigger: "request",
      requestedBy: "test",
    });
    expect(run).toMatchObject({ status: "failed", frozen: [], findingIds: [] });
    expect(run.error).toMatch(/bank offline/);
    const bad = await runReconciliation({
      db: s.db,
      rails,
      ...f.as("finance_controller"),
      portfolioId: f.portfolioId,
      rail: "stripe",
      from: to,
      to: new Date(to.getTime() - 1),
      trigger: "request",
      requestedBy: "test",
    }).catch((e: unknown) => e);
    expect((bad as AppError).code).toBe("BAD_REQUEST");
    expect(Object.keys((bad as AppError).details.fields ?? {}).sort()).toEqual(["rail", "to"]);
  });

  it("runs on schedule once per interval for each portfolio with rail activity", async () => {
    const ctx = {
      db: s.db,
      rails,
      actor: { type: "worker" as const, id: "test" },
      correlationId: "cor_scheduled",
      everySeconds: 3_600,
      // Two minutes from now, so the period (ending a minute before "now") covers everything so far.
      now: () => new Date(Date.now() + 120_000),
    };
    expect(await reconcileDuePortfolios(ctx)).toBe(1);
    const scheduled = await s.db.$queryRawUnsafe<Array<{ status: string; mismatch_count: number }>>(
      "SELECT status, mismatch_count FROM treasury_reconciliations WHERE portfolio_id = $1 AND trigger = 'schedule'",
      f.portfolioId,
    );
    expect(scheduled).toEqual([{ status: "balanced", mismatch_count: 0 }]);
    expect(await reconcileDuePortfolios(ctx)).toBe(0);
  });

  it("the ledger still verifies after everything above", async () => {
    expect(await verifyLedger(s.db)).toMatchObject({ ok: true });
    const portfolio = await trialBalance(s.db, { portfolioId: f.portfolioId });
    expect(portfolio.currencies.every((c) => c.netPostedMinor === 0n)).toBe(true);
    expect(loop.stats.treasuryErrors).toBe(0);
  });
});
