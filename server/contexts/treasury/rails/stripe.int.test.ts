// The Stripe rail with the official `stripe` SDK against a local fake of Stripe's API
// (test/fakes/stripe.ts), on the real PostgreSQL and NATS: payouts with idempotency keys, retries
// after a 5xx, refusals, webhooks (signature good, bad, missing; duplicate deliveries), settlement
// by webhook, revenue from payment_intent.succeeded and charge.succeeded counted once, and a
// reconciliation of the ledger against Stripe's balance transactions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeStripe, type FakeStripeEvent, startFakeStripe } from "@/test/fakes/stripe";
import { openTestServices, type TestServices } from "@/test/services";
import { type RunningConsumer, startConsumer } from "@/workers/_runtime/consumer";
import type { Stoppable } from "@/workers/_runtime/worker";
import { treasuryJobs } from "@/workers/orchestrator/treasury-jobs";
import { startOutboxRelay } from "@/workers/outbox-relay/relay";
import { budgetAccountId, createIntent } from "../intents/create-intent";
import { getIntent } from "../intents/intent-view";
import { fundedIntentFixture, type IntentFixture } from "../intents/testing";
import { getBalances } from "../ledger/get-balances";
import { trialBalance } from "../ledger/trial-balance";
import { verifyLedger } from "../ledger/verify-ledger";
import { runReconciliation } from "./run-reconciliation";
import type { Rails, TreasurySettings } from "./settings";
import { stripeClient } from "./stripe-rail";
import { handleStripeWebhook } from "./stripe-webhook";
import { testRails, testTreasurySettings } from "./testing";

let s: TestServices;
let f: IntentFixture;
let fake: FakeStripe;
let settings: TreasurySettings;
let rails: Rails;
let relay: Stoppable;
let consumers: RunningConsumer[] = [];
let loop: Stoppable & { stats: Record<string, number> };

beforeAll(async () => {
  s = await openTestServices();
  f = await fundedIntentFixture(s.db, 5_000_000n);
  fake = await startFakeStripe();
  settings = testTreasurySettings({
    defaultRail: "stripe",
    stripe: { secretKey: fake.secretKey, apiUrl: fake.url, timeoutMs: 5_000 },
    stripeWebhookSecret: fake.webhookSecret,
  });
  rails = testRails(s.db, settings);
  // Statuses are not polled within a test (a minute): payouts settle by webhook.
  const jobs = treasuryJobs({
    settings,
    limits: { pollMs: 60_000, backoffMs: 50 },
    tickMs: 100,
    reconcileCheckMs: 3_600_000,
  });
  relay = await startOutboxRelay(s, { pollMs: 50 });
  consumers = await Promise.all(jobs.consumers.map((spec) => startConsumer(s, { ...spec, backoffMs: 50 })));
  loop = await jobs.loop(s, { gate: { isOpen: () => true, waitOpen: async () => {} } });
}, 60_000);

afterAll(async () => {
  await loop?.stop();
  for (const c of consumers) await c.stop();
  await relay?.stop();
  await fake?.close();
  await s?.close();
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
      category: "advertising",
      purpose: "Search ads for the launch",
      idempotencyKey: `stripe-${Math.random().toString(36).slice(2, 10)}`,
    },
  });

const intentNow = async (intentId: string) =>
  (await getIntent({ db: s.db, portfolioId: f.portfolioId, intentId }))!;

const submitted = (intentId: string) =>
  eventually(async () => {
    const intent = await intentNow(intentId);
    return intent.settlement?.status === "submitted" ? intent : null;
  }, `payout of ${intentId} submitted`);

const deliver = (event: FakeStripeEvent, options: { secret?: string; signature?: string | null } = {}) => {
  const { body, signature } = fake.delivery(event, options.secret ? { secret: options.secret } : {});
  return handleStripeWebhook({
    db: s.db,
    secret: fake.webhookSecret,
    rawBody: body,
    signature: options.signature === undefined ? signature : options.signature,
  });
};

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(sql, ...params);
  return Number(row?.n ?? 0);
}

async function available(): Promise<bigint> {
  const [budget] = await getBalances(s.db, { accountIds: [budgetAccountId(f.ventureId, "USD")] });
  return budget!.availableMinor;
}

describe("payouts through Stripe", () => {
  it("creates a payout with the intent id as idempotency key and settles it on payout.paid", async () => {
    const intent = await create("4200");
    const pending = await submitted(intent.id);
    const reference = pending.settlement!.railReference!;
    expect(reference).toMatch(/^po_/);
    const call = fake.requests.find((r) => r.method === "POST" && r.path === "/v1/payouts");
    expect(call).toMatchObject({
      idempotencyKey: `payout:${intent.id}`,
      body: {
        amount: "4200",
        currency: "usd",
        metadata: {
          intentId: intent.id,
          portfolioId: f.portfolioId,
          ventureId: f.ventureId,
          counterparty: "acme",
        },
      },
    });
    expect(pending.status).toBe("approved");

    const answer = await deliver(fake.settlePayout(reference, "paid"));
    expect(answer).toMatchObject({ status: 200, body: { duplicate: false } });
    const done = await eventually(async () => {
      const now = await intentNow(intent.id);
      return now.status === "settled" ? now : null;
    }, "settled by webhook");
    expect(done.settlement).toMatchObject({ rail: "stripe", status: "settled", railReference: reference });
    const [expense] = await getBalances(s.db, { accountIds: [`${f.ventureId}:expense:advertising:USD`] });
    expect(expense).toMatchObject({ debitsPostedMinor: 4_200n, debitsPendingMinor: 0n });
  });

  it("payout.failed voids the hold and records Stripe's reason", async () => {
    const before = await available();
    const intent = await create("3300");
    const pending = await submitted(intent.id);
    expect(await available()).toBe(before - 3_300n);
    await deliver(fake.settlePayout(pending.settlement!.railReference!, "failed", "No such bank account"));
    const done = await eventually(async () => {
      const now = await intentNow(intent.id);
      return now.status === "failed" ? now : null;
    }, "failed by webhook");
    expect(done.settlement?.failureReason).toBe("No such bank account");
    expect(await available()).toBe(before);
  });

  it("retries after a Stripe 5xx with the same idempotency key and pays once", async () => {
    fake.failNext("/v1/payouts", 503, 2);
    const intent = await create("1100");
    const pending = await submitted(intent.id);
    const calls = fake.requests.filter(
      (r) => r.path === "/v1/payouts" && r.idempotencyKey === `payout:${intent.id}`,
    );
    expect(calls.length).toBe(3);
    expect(
      [...fake.payouts.values()].filter((p) => (p.metadata as { intentId?: string }).intentId === intent.id),
    ).toHaveLength(1);
    expect(pending.settlement!.attempts).toBe(3);
  });

  it("fails the intent when Stripe refuses the payout", async () => {
    fake.failNext("/v1/payouts", 400, 1);
    const intent = await create("1200");
    const done = await eventually(async () => {
      const now = await intentNow(intent.id);
      return now.status === "failed" ? now : null;
    }, "refused payout failed");
    expect(done.settlement?.failureReason).toMatch(/Stripe: Simulated 400/);
    expect(done.settlement?.railReference).toBeNull();
  });
});

describe("webhooks", () => {
  it("refuses a bad or missing signature with 400 and writes nothing", async () => {
    const { events } = fake.succeedPayment({
      amount: 990,
      currency: "usd",
      metadata: { ventureId: f.ventureId, portfolioId: f.portfolioId },
    });
    const forged = await deliver(events[0]!, { secret: "whsec_not_the_right_one" });
    expect(forged.status).toBe(400);
    expect(String(forged.body.error)).toMatch(/signature/i);
    const missing = await deliver(events[0]!, { signature: null });
    expect(missing.status).toBe(400);
    // A body changed after signing fails too.
    const { signature } = fake.delivery(events[0]!);
    const tampered = await handleStripeWebhook({
      db: s.db,
      secret: fake.webhookSecret,
      rawBody: JSON.stringify({ ...events[0]!, data: { object: { ...events[0]!.data.object, amount: 1 } } }),
      signature,
    });
    expect(tampered.status).toBe(400);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM treasury_webhook_events WHERE event_id = $1",
        events[0]!.id,
      ),
    ).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM treasury_receipts")).toBe(0);
    // Without a configured secret nothing is trusted.
    const unconfigured = await handleStripeWebhook({
      db: s.db,
      secret: null,
      rawBody: "{}",
      signature: "t=1,v1=x",
    });
    expect(unconfigured.status).toBe(503);
    // The genuine delivery is accepted.
    expect(await deliver(events[0]!)).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(await count("SELECT count(*)::int AS n FROM treasury_receipts WHERE amount_minor = 990")).toBe(1);
  });

  it("posts revenue once for a payment reported twice and delivered twice; the books add up", async () => {
    const stripe = stripeClient({ secretKey: fake.secretKey, apiUrl: fake.url });
    const paymentIntent = await stripe.paymentIntents.create({
      amount: 25_000,
      currency: "usd",
      confirm: true,
      metadata: { ventureId: f.ventureId, portfolioId: f.portfolioId },
    });
    expect(paymentIntent.status).toBe("succeeded");
    const reports = fake.events.filter(
      (e) =>
        (e.type === "payment_intent.succeeded" && e.data.object.id === paymentIntent.id) ||
        (e.type === "charge.succeeded" && e.data.object.payment_intent === paymentIntent.id),
    );
    expect(reports.map((e) => e.type)).toEqual(["payment_intent.succeeded", "charge.succeeded"]);
    const first = await deliver(reports[0]!);
    const again = await deliver(reports[0]!);
    const charge = await deliver(reports[1]!);
    expect(first).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(String(first.body.outcome)).toMatch(/^revenue rcp_/);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(charge).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(String(charge.body.outcome)).toMatch(/already recorded/);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM treasury_receipts WHERE rail = 'stripe' AND rail_reference = $1",
        paymentIntent.id,
      ),
    ).toBe(1);
    const [cash, revenue] = await getBalances(s.db, {
      accountIds: [`${f.ventureId}:cash:USD`, `${f.ventureId}:revenue:USD`],
    });
    // This payment and the one of the signature test.
    expect(cash!.debitsPostedMinor - cash!.creditsPostedMinor).toBe(25_990n);
    expect(revenue!.creditsPostedMinor - revenue!.debitsPostedMinor).toBe(25_990n);
    expect(
      (await trialBalance(s.db, { portfolioId: f.portfolioId })).currencies.every(
        (c) => c.netPostedMinor === 0n,
      ),
    ).toBe(true);
    expect(await verifyLedger(s.db)).toMatchObject({ ok: true });
  });

  it("acknowledges payments for no venture of ours and events it does not handle, without effects", async () => {
    const { events } = fake.succeedPayment({ amount: 500, currency: "usd", metadata: {} });
    const answer = await deliver(events[0]!);
    expect(answer).toMatchObject({ status: 200, body: { outcome: "ignored: no ventureId in the metadata" } });
    const unknown = fake.succeedPayment({
      amount: 500,
      currency: "usd",
      metadata: { ventureId: "ven_nope" },
    });
    expect((await deliver(unknown.events[0]!)).body.outcome).toBe("ignored: unknown venture ven_nope");
    expect(await count("SELECT count(*)::int AS n FROM treasury_receipts WHERE amount_minor = 500")).toBe(0);
  });
});

describe("reconciliation against Stripe", () => {
  it("balances: settled payouts, a failed payout netting to zero and revenue all match", async () => {
    await eventually(
      async () =>
        (await count("SELECT count(*)::int AS n FROM treasury_payouts WHERE status = 'submitted'")) <= 1,
      "payouts settled",
    );
    // The one still in transit (the retried payout) is reported as such, not as a break.
    const to = new Date(Date.now() + 2_000);
    const run = await runReconciliation({
      db: s.db,
      rails,
      ...f.as("finance_controller"),
      portfolioId: f.portfolioId,
      rail: "stripe",
      from: new Date(to.getTime() - 3_600_000),
      to,
      trigger: "request",
      requestedBy: "test",
    });
    expect(run.mismatches).toEqual([]);
    expect(run).toMatchObject({ status: "balanced", inTransit: 1 });
    // The paid payout, the failed one (netting to zero) and the two payments.
    expect(run.matched).toBe(4);
    expect(loop.stats.treasuryErrors).toBe(0);
  });
});
