// Budget transfers between ventures against the real PostgreSQL (ORCH-007, ADR 0016): a transfer is a
// money intent held on the source's budget, decided by the treasury policy, approved in the inbox with
// separation of duties and four eyes, and settled as one balanced ledger entry that both books and
// the trial balance show; frozen, paused, denied, expired, concurrent, repeated and malformed
// requests do what a finance controller expects, and bad input writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whilePaused } from "@/server/contexts/control/testing";
import { createDb } from "@/server/shared/db";
import { AppError, type ErrorCode } from "@/server/shared/errors";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";
import { approveIntent } from "../intents/approve-intent";
import { denyIntent } from "../intents/deny-intent";
import { expireIntents } from "../intents/expire-intents";
import { freezeTreasury, unfreezeTreasury } from "../intents/freezes";
import { getBalances } from "../ledger/get-balances";
import { trialBalance } from "../ledger/trial-balance";
import { verifyLedger } from "../ledger/verify-ledger";
import { type RebalancingFixture, rebalancingFixture } from "./testing";
import { transferBudget } from "./transfer-budget";
import { listTransfers } from "./transfer-view";

let s: TestServices;
let f: RebalancingFixture;
let a: string;
let b: string;
let n = 0;

beforeAll(async () => {
  s = await openTestServices();
  f = await rebalancingFixture(s.db);
  a = await f.venture("Alpha", { budgetMinor: 5_000_000n });
  b = await f.venture("Beta", { budgetMinor: 100_000n });
});
afterAll(async () => {
  await s.close();
});

type Role = "founder" | "finance_controller" | "admin";

const transfer = (over: Record<string, unknown> = {}, role: Role = "founder", fx = f) =>
  transferBudget({
    db: s.db,
    ...fx.as(role),
    requester: fx.requester(role),
    input: {
      portfolioId: fx.portfolioId,
      fromVentureId: a,
      toVentureId: b,
      amountMinor: "200000",
      currency: "USD",
      reason: "Beta's revenue grows, its runway is short",
      idempotencyKey: `t-${++n}-${Math.random().toString(36).slice(2, 8)}`,
      ...over,
    },
  });

const decide = (role: Role, intentId: string, note = "Within the plan") => ({
  db: s.db,
  ...f.as(role),
  decider: { userId: f.principals[role].userId, role },
  portfolioId: f.portfolioId,
  intentId,
  note,
});

const usd = (ventureId: string, code: string) => `${ventureId}:${code}:USD`;

async function balances(ventureId: string) {
  const [budget, equity] = await getBalances(s.db, {
    accountIds: [usd(ventureId, "budget"), usd(ventureId, "equity")],
  });
  return { available: budget!.availableMinor, posted: budget!.postedMinor, equity: equity!.postedMinor };
}

async function refused(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  if (field) expect(Object.keys((error as AppError).details.fields ?? {})).toContain(field);
  return error as AppError;
}

/** Rows that a refused request must not have written. */
async function written(): Promise<Record<string, number>> {
  const [row] = await s.db.$queryRawUnsafe<Array<Record<string, number>>>(
    `SELECT (SELECT count(*) FROM event_log)::int AS events,
            (SELECT count(*) FROM ledger_entries)::int AS entries,
            (SELECT count(*) FROM ledger_holds)::int AS holds,
            (SELECT count(*) FROM ledger_accounts)::int AS accounts,
            (SELECT count(*) FROM treasury_budget_transfers)::int AS transfers,
            (SELECT count(*) FROM money_intents)::int AS intents`,
  );
  return row!;
}

describe("a budget transfer between two ventures", () => {
  it("waits for a finance controller with the source's budget held, then moves it in one balanced entry", async () => {
    const before = { a: await balances(a), b: await balances(b) };
    const requested = await transfer();
    expect(requested).toMatchObject({
      fromVentureId: a,
      toVentureId: b,
      amountMinor: 200_000n,
      status: "pending_approval",
      entryId: null,
    });
    expect(requested.fromVentureName).toMatch(/^Alpha /);
    expect(requested.toVentureName).toMatch(/^Beta /);
    expect(requested.intent).toMatchObject({
      category: "budget_transfer",
      ventureId: a,
      counterparty: b,
      approvalsRequired: 1,
    });
    expect(requested.intent.reasons.join(" ")).toContain(
      "Budget moves always need a finance controller's approval",
    );
    // Held on the source: its available budget drops now, nothing is posted, the target is untouched.
    expect(await balances(a)).toEqual({ ...before.a, available: before.a.available - 200_000n });
    expect(await balances(b)).toEqual(before.b);

    const approved = await approveIntent(decide("finance_controller", requested.intentId));
    expect(approved.status).toBe("approved");
    const [settled] = await listTransfers({ db: s.db, portfolioId: f.portfolioId, ventureId: b, limit: 1 });
    expect(settled).toMatchObject({
      intentId: requested.intentId,
      status: "settled",
      entryId: `${requested.intentId}:transfer`,
    });

    // Both books moved: the source's budget down, the target's up, each against its own equity.
    expect(await balances(a)).toEqual({
      available: before.a.available - 200_000n,
      posted: before.a.posted - 200_000n,
      equity: before.a.equity - 200_000n,
    });
    expect(await balances(b)).toEqual({
      available: before.b.available + 200_000n,
      posted: before.b.posted + 200_000n,
      equity: before.b.equity + 200_000n,
    });
    // One entry of four postings, balanced per book.
    const postings = await s.db.$queryRawUnsafe<Array<{ account_id: string; amount_minor: bigint }>>(
      "SELECT account_id, amount_minor FROM ledger_postings WHERE entry_id = $1 ORDER BY seq",
      `${requested.intentId}:transfer`,
    );
    expect(postings.map((p) => [p.account_id, p.amount_minor])).toEqual([
      [usd(b, "budget"), 200_000n],
      [usd(b, "equity"), -200_000n],
      [usd(a, "equity"), 200_000n],
      [usd(a, "budget"), -200_000n],
    ]);
    // The trial balance of the portfolio and of each venture sums to zero; every balance is its postings.
    for (const scope of [{ portfolioId: f.portfolioId }, { ventureId: a }, { ventureId: b }]) {
      const tb = await trialBalance(s.db, scope);
      for (const c of tb.currencies) expect(c.netPostedMinor).toBe(0n);
    }
    expect((await verifyLedger(s.db, { portfolioId: f.portfolioId })).ok).toBe(true);

    await sealEvents(s.db);
    const types = (await readEvents(s.db, { portfolioId: f.portfolioId, limit: 1_000 }))
      .filter(
        (e) =>
          e.stream.id === requested.intentId ||
          e.stream.id === requested.intent.holdId ||
          e.stream.id === `${requested.intentId}:transfer`,
      )
      .map((e) => e.type);
    expect(types).toEqual([
      "treasury.intent_created",
      "treasury.intent_decided",
      "treasury.hold_placed",
      "treasury.budget_transfer_requested",
      "treasury.intent_approval_recorded",
      "treasury.intent_decided",
      "treasury.hold_voided",
      "treasury.entry_posted",
      "treasury.budget_transfer_settled",
    ]);
  });

  it("above the four-eyes threshold needs two distinct approvers; the requester approves nothing", async () => {
    const requested = await transfer({ amountMinor: "600000" }, "finance_controller");
    expect(requested.intent.approvalsRequired).toBe(2);
    const beforeB = await balances(b);
    // A finance controller may request, but never approve their own request.
    await refused(approveIntent(decide("finance_controller", requested.intentId)), "FORBIDDEN");
    await approveIntent(decide("admin", requested.intentId));
    await refused(approveIntent(decide("admin", requested.intentId)), "CONFLICT");
    expect(await balances(b)).toEqual(beforeB);
    const [pending] = await listTransfers({ db: s.db, portfolioId: f.portfolioId, limit: 1 });
    expect(pending).toMatchObject({ intentId: requested.intentId, status: "pending_approval" });
  });

  it("a founder's request is approved by two others above four eyes, and then moves the budget", async () => {
    const requested = await transfer({ amountMinor: "600000" });
    const beforeB = await balances(b);
    await approveIntent(decide("finance_controller", requested.intentId));
    expect((await balances(b)).posted).toBe(beforeB.posted);
    await approveIntent(decide("admin", requested.intentId));
    expect((await balances(b)).posted).toBe(beforeB.posted + 600_000n);
  });

  it("is denied when either venture or the portfolio is frozen, or while paused; nothing is held", async () => {
    const base = {
      db: s.db,
      ...f.as("finance_controller"),
      role: "finance_controller" as const,
      portfolioId: f.portfolioId,
    };
    const beforeA = await balances(a);
    for (const [ventureId, reason] of [
      [b, "target under review"],
      [a, "source under review"],
      [null, "portfolio crisis"],
    ] as const) {
      await freezeTreasury({ ...base, ventureId, reason });
      try {
        const denied = await transfer();
        expect(denied.status).toBe("denied");
        expect(denied.intent.holdId).toBeNull();
        expect(denied.intent.reasons.join(" ")).toContain(reason);
      } finally {
        await unfreezeTreasury({ ...base, ventureId, reason: "reviewed" });
      }
    }
    const denied = await whilePaused(s.db, () => transfer());
    expect(denied.status).toBe("denied");
    expect(denied.intent.reasons.join(" ")).toMatch(/kill-switch/i);
    expect(await balances(a)).toEqual(beforeA);
  });

  it("cannot be approved once the target is frozen; the hold stays until someone decides", async () => {
    const requested = await transfer({ amountMinor: "1000" });
    const base = { db: s.db, ...f.as("admin"), role: "admin" as const, portfolioId: f.portfolioId };
    await freezeTreasury({ ...base, ventureId: b, reason: "target frozen after the request" });
    try {
      const error = await refused(
        approveIntent(decide("finance_controller", requested.intentId)),
        "UNPROCESSABLE",
      );
      expect(error.message).toContain("target frozen after the request");
    } finally {
      await unfreezeTreasury({ ...base, ventureId: b, reason: "reviewed" });
    }
    const denied = await denyIntent(decide("finance_controller", requested.intentId, "Not now"));
    expect(denied.status).toBe("denied");
  });

  it("denied or expired, the source's budget is released and nothing moves", async () => {
    const beforeA = await balances(a);
    const beforeB = await balances(b);
    const toDeny = await transfer({ amountMinor: "30000" });
    const toExpire = await transfer({ amountMinor: "40000" });
    expect((await balances(a)).available).toBe(beforeA.available - 70_000n);

    await denyIntent(decide("finance_controller", toDeny.intentId, "Beta can wait"));
    expect((await balances(a)).available).toBe(beforeA.available - 40_000n);

    // The intent's deadline passes (its hold's own expiry is later: the expiry job voids it).
    await s.db.$executeRawUnsafe(
      "UPDATE money_intents SET expires_at = now() - interval '1 second' WHERE id = $1",
      toExpire.intentId,
    );
    const { expired } = await expireIntents({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_t",
    });
    expect(expired).toContain(toExpire.intentId);
    await refused(approveIntent(decide("finance_controller", toExpire.intentId)), "UNPROCESSABLE");

    expect(await balances(a)).toEqual(beforeA);
    expect(await balances(b)).toEqual(beforeB);
    const statuses = Object.fromEntries(
      (await listTransfers({ db: s.db, portfolioId: f.portfolioId })).map((t) => [t.intentId, t.status]),
    );
    expect(statuses[toDeny.intentId]).toBe("denied");
    expect(statuses[toExpire.intentId]).toBe("expired");
  });

  it("is idempotent: the same key and content is the same transfer, other content a CONFLICT", async () => {
    const key = `same-${Math.random().toString(36).slice(2, 8)}`;
    const first = await transfer({ idempotencyKey: key, amountMinor: "5000" });
    const count = await written();
    const again = await transfer({ idempotencyKey: key, amountMinor: "5000" });
    expect(again.intentId).toBe(first.intentId);
    expect(await written()).toEqual(count);
    await refused(transfer({ idempotencyKey: key, amountMinor: "5001" }), "CONFLICT", "idempotencyKey");
    await refused(
      transfer({ idempotencyKey: key, amountMinor: "5000", toVentureId: a, fromVentureId: b }),
      "CONFLICT",
    );
    expect(await written()).toEqual(count);
    // An allocation or spend with the same key never answers for a transfer (keys are namespaced).
    await denyIntent(decide("finance_controller", first.intentId, "cleanup"));
  });

  it("bad input names the field and writes nothing", async () => {
    const other = await rebalancingFixture(s.db);
    const theirs = await other.venture("Theirs", { budgetMinor: 10_000n });
    const euro = await f.venture("Euro", { currency: "EUR" });
    const before = await written();
    await refused(transfer({ toVentureId: a }), "BAD_REQUEST", "toVentureId");
    await refused(transfer({ amountMinor: "0" }), "BAD_REQUEST", "amountMinor");
    await refused(transfer({ amountMinor: "-100" }), "BAD_REQUEST", "amountMinor");
    await refused(transfer({ amountMinor: "1.50" }), "BAD_REQUEST", "amountMinor");
    await refused(transfer({ amountMinor: 100 }), "BAD_REQUEST", "amountMinor");
    await refused(transfer({ toVentureId: theirs }), "BAD_REQUEST", "toVentureId");
    await refused(transfer({ fromVentureId: theirs }), "BAD_REQUEST", "fromVentureId");
    await refused(transfer({ toVentureId: "ven_unknown" }), "BAD_REQUEST", "toVentureId");
    await refused(transfer({ currency: "EUR" }), "BAD_REQUEST", "currency");
    await refused(transfer({ toVentureId: euro }), "BAD_REQUEST", "currency");
    await refused(transfer({ currency: "usd" }), "BAD_REQUEST", "currency");
    await refused(transfer({ reason: "" }), "BAD_REQUEST", "reason");
    await refused(transfer({ surprise: 1 }), "BAD_REQUEST", "surprise");
    // Another portfolio's requester cannot act here.
    await refused(
      transferBudget({
        db: s.db,
        ...other.as("founder"),
        requester: other.requester("founder"),
        input: {
          portfolioId: f.portfolioId,
          fromVentureId: a,
          toVentureId: b,
          amountMinor: "100",
          currency: "USD",
          reason: "not mine",
        },
      }),
      "FORBIDDEN",
    );
    expect(await written()).toEqual(before);
  });

  it("concurrent transfers never take more than the source's budget", async () => {
    const source = await f.venture("Source", { budgetMinor: 100_000n });
    const target = await f.venture("Target", { budgetMinor: 1_000n });
    // A pool with a connection per request: every transaction waits on the source budget's row lock.
    const wide = createDb(s.databaseUrl, { poolMax: 17 });
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        transferBudget({
          db: wide,
          ...f.as("founder"),
          requester: f.requester("founder"),
          input: {
            portfolioId: f.portfolioId,
            fromVentureId: source,
            toVentureId: target,
            amountMinor: "10000",
            currency: "USD",
            reason: "Concurrent move",
          },
        }),
      ),
    ).finally(() => wide.$disconnect());
    const held = results.filter((r) => r.status === "pending_approval");
    const denied = results.filter((r) => r.status === "denied");
    expect(held).toHaveLength(10);
    expect(denied).toHaveLength(6);
    expect(denied[0]!.intent.reasons.join(" ")).toContain(
      "The source venture's budget cannot cover the amount",
    );
    expect((await balances(source)).available).toBe(0n);

    // Approving every held one moves exactly the budget there was, never more.
    for (const t of held) await approveIntent(decide("finance_controller", t.intentId));
    expect(await balances(source)).toMatchObject({ available: 0n, posted: 0n });
    expect((await balances(target)).posted).toBe(101_000n);
  }, 120_000); // Sixteen transactions queue on one row lock: on a loaded machine that takes a while.

  it("two opposite transfers approved at the same moment both settle", async () => {
    const left = await f.venture("Left", { budgetMinor: 50_000n });
    const right = await f.venture("Right", { budgetMinor: 50_000n });
    const there = await transfer({ fromVentureId: left, toVentureId: right, amountMinor: "20000" });
    const back = await transfer({ fromVentureId: right, toVentureId: left, amountMinor: "30000" });
    const wide = createDb(s.databaseUrl, { poolMax: 4 });
    await Promise.all(
      [there, back].map((t) => approveIntent({ ...decide("finance_controller", t.intentId), db: wide })),
    ).finally(() => wide.$disconnect());
    expect((await balances(left)).posted).toBe(60_000n);
    expect((await balances(right)).posted).toBe(40_000n);
    const tb = await trialBalance(s.db, { portfolioId: f.portfolioId });
    for (const c of tb.currencies) expect(c.netPostedMinor).toBe(0n);
  });
});
