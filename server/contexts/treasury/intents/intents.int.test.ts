import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whilePaused } from "@/server/contexts/control/testing";
import { defaultPolicyText } from "@/server/contexts/policy/defaults";
import { publishPolicyVersion } from "@/server/contexts/policy/publish-policy-version";
import { createDb, type Db, withTransaction } from "@/server/shared/db";
import { AppError, type ErrorCode } from "@/server/shared/errors";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { intentGroupTotals, intentStateTotals } from "@/server/shared/metrics";
import { openTestServices, type TestServices } from "@/test/services";
import { getBalances } from "../ledger/get-balances";
import { approveIntent } from "./approve-intent";
import { allowCounterparty } from "./counterparties";
import { budgetAccountId, createIntent } from "./create-intent";
import { denyIntent } from "./deny-intent";
import { freezeTreasury, unfreezeTreasury } from "./freezes";
import { getIntent } from "./intent-view";
import { fundedIntentFixture, type IntentFixture } from "./testing";

let s: TestServices;
let f: IntentFixture;
let n = 0;

beforeAll(async () => {
  s = await openTestServices();
  f = await fundedIntentFixture(s.db, 1_000_000n);
});
afterAll(async () => {
  await s.close();
});

const intent = (over: Record<string, unknown> = {}) => ({
  portfolioId: f.portfolioId,
  ventureId: f.ventureId,
  amountMinor: "1000",
  currency: "USD",
  counterparty: "acme",
  category: "model_inference",
  purpose: "Model calls for research",
  idempotencyKey: `key-${++n}-${Math.random().toString(36).slice(2, 8)}`,
  ...over,
});

const create = (over: Record<string, unknown> = {}, fx: IntentFixture = f) =>
  createIntent({
    db: s.db,
    ...fx.as("founder"),
    requester: fx.requester("founder"),
    input: intent({ portfolioId: fx.portfolioId, ventureId: fx.ventureId, ...over }),
  });

const decide = (role: "finance_controller" | "admin" | "founder", intentId: string, note = "ok", fx = f) => ({
  db: s.db,
  ...fx.as(role),
  decider: { userId: fx.principals[role].userId, role },
  portfolioId: fx.portfolioId,
  intentId,
  note,
});

async function refused(attempt: Promise<unknown>, code: ErrorCode, field?: string): Promise<AppError> {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code, (error as AppError).message).toBe(code);
  if (field) expect((error as AppError).details.fields ?? {}).toHaveProperty([field]);
  return error as AppError;
}

async function available(fx: IntentFixture = f): Promise<bigint> {
  const [budget] = await getBalances(s.db, { accountIds: [budgetAccountId(fx.ventureId, "USD")] });
  return budget!.availableMinor;
}

describe("money intents", () => {
  it("approves below the approval threshold and holds the amount on the budget", async () => {
    const before = await available();
    const created = await create({ amountMinor: "20000" });
    expect(created.status).toBe("approved");
    expect(created.holdId).not.toBeNull();
    expect(created.decision.outcome).toBe("approve");
    expect(await available()).toBe(before - 20_000n);
    await sealEvents(s.db);
    const events = (await readEvents(s.db, { portfolioId: f.portfolioId, limit: 1_000 })).filter(
      (e) => e.stream.id === created.id,
    );
    expect(events.map((e) => e.type)).toEqual(["treasury.intent_created", "treasury.intent_decided"]);
    expect(events[1]!.payload).toMatchObject({ status: "approved", decision: { outcome: "approve" } });
  });

  it("sends intents above the threshold to approval, with a hold", async () => {
    const created = await create({ amountMinor: "60000" });
    expect(created.status).toBe("pending_approval");
    expect(created.approvalsRequired).toBe(1);
    expect(created.holdId).not.toBeNull();
    expect(created.reasons.length).toBeGreaterThan(0);
  });

  it("denies above the per-transaction maximum, with the policy's reason, and holds nothing", async () => {
    const before = await available();
    const created = await create({ amountMinor: "2000000" });
    expect(created.status).toBe("denied");
    expect(created.holdId).toBeNull();
    expect(created.reasons.join(" ")).toMatch(/per-transaction limit/);
    expect(await available()).toBe(before);
  });

  it("is idempotent by key, and a reused key with other content is a CONFLICT", async () => {
    const input = intent({ amountMinor: "1500" });
    const first = await createIntent({ db: s.db, ...f.as("founder"), requester: f.requester(), input });
    const again = await createIntent({ db: s.db, ...f.as("founder"), requester: f.requester(), input });
    expect(again.id).toBe(first.id);
    await refused(
      createIntent({
        db: s.db,
        ...f.as("founder"),
        requester: f.requester(),
        input: { ...input, amountMinor: "1501" },
      }),
      "CONFLICT",
      "idempotencyKey",
    );
  });

  it("gives concurrent requests with one key one intent, and refuses other content concurrently", async () => {
    const input = intent({ amountMinor: "1700" });
    const wide = createDb(s.databaseUrl, { poolMax: 12 });
    const ask = (over: Record<string, unknown> = {}) =>
      createIntent({ db: wide, ...f.as("founder"), requester: f.requester(), input: { ...input, ...over } });
    const same = await Promise.allSettled(Array.from({ length: 8 }, () => ask())).finally(() =>
      wide.$disconnect(),
    );
    const ids = same.map((r) => (r.status === "fulfilled" ? r.value.id : String(r.reason)));
    expect(new Set(ids).size, ids.join()).toBe(1);
    const rows = await s.db.moneyIntent.count({
      where: { portfolioId: f.portfolioId, idempotencyKey: input.idempotencyKey },
    });
    expect(rows).toBe(1);
    const other = createDb(s.databaseUrl, { poolMax: 4 });
    const mixed = await Promise.allSettled([
      createIntent({
        db: other,
        ...f.as("founder"),
        requester: f.requester(),
        input: { ...input, idempotencyKey: `${input.idempotencyKey}-b` },
      }),
      createIntent({
        db: other,
        ...f.as("founder"),
        requester: f.requester(),
        input: { ...input, idempotencyKey: `${input.idempotencyKey}-b`, amountMinor: "1701" },
      }),
    ]).finally(() => other.$disconnect());
    expect(mixed.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const conflict = mixed.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect((conflict.reason as AppError).code).toBe("CONFLICT");
  });

  it("returns the intent as stored", async () => {
    for (const amountMinor of ["900", "60000", "2000000"]) {
      const created = await create({ amountMinor });
      expect(created).toEqual(
        await getIntent({ db: s.db, portfolioId: f.portfolioId, intentId: created.id }),
      );
    }
  });

  it("refuses self-approval, approves by a finance controller, and refuses a second decision", async () => {
    const created = await createIntent({
      db: s.db,
      ...f.as("admin"),
      requester: f.requester("admin"),
      input: intent({ amountMinor: "60000" }),
    });
    expect(created.status).toBe("pending_approval");
    await refused(approveIntent(decide("admin", created.id)), "FORBIDDEN");
    await refused(approveIntent(decide("founder", created.id)), "FORBIDDEN");
    const approved = await approveIntent(decide("finance_controller", created.id, "fine"));
    expect(approved.status).toBe("approved");
    expect(approved.approvals.map((a) => a.note)).toEqual(["fine"]);
    await refused(denyIntent(decide("admin", created.id)), "UNPROCESSABLE");
  });

  it("needs two distinct approvers above the four-eyes threshold", async () => {
    const created = await create({ amountMinor: "600000" });
    expect(created.status).toBe("pending_approval");
    expect(created.approvalsRequired).toBe(2);
    const once = await approveIntent(decide("finance_controller", created.id));
    expect(once.status).toBe("pending_approval");
    await refused(approveIntent(decide("finance_controller", created.id)), "CONFLICT");
    const twice = await approveIntent(decide("admin", created.id));
    expect(twice.status).toBe("approved");
    expect(twice.approvals).toHaveLength(2);
  });

  it("deny voids the hold and needs a note", async () => {
    const created = await create({ amountMinor: "70000" });
    const before = await available();
    await refused(denyIntent(decide("finance_controller", created.id, "  ")), "BAD_REQUEST", "note");
    const denied = await denyIntent(decide("finance_controller", created.id, "not now"));
    expect(denied.status).toBe("denied");
    expect(denied.decisionNote).toBe("not now");
    expect(await available()).toBe(before + 70_000n);
  });

  it("denies every new intent while frozen, with the freeze reason, and unfreezing lifts it", async () => {
    const base = { db: s.db, portfolioId: f.portfolioId, ventureId: f.ventureId };
    await refused(
      freezeTreasury({ ...base, ...f.as("founder"), role: "founder", reason: "suspicious burn" }),
      "FORBIDDEN",
    );
    await refused(
      freezeTreasury({ ...base, ...f.as("finance_controller"), role: "finance_controller", reason: "" }),
      "BAD_REQUEST",
      "reason",
    );
    await freezeTreasury({
      ...base,
      ...f.as("finance_controller"),
      role: "finance_controller",
      reason: "suspicious burn",
    });
    const frozen = await create({ amountMinor: "100" });
    expect(frozen.status).toBe("denied");
    expect(frozen.reasons.join(" ")).toContain("suspicious burn");
    await unfreezeTreasury({ ...base, ...f.as("admin"), role: "admin", reason: "checked" });
    expect((await create({ amountMinor: "100" })).status).toBe("approved");

    await freezeTreasury({
      ...base,
      ventureId: null,
      ...f.as("admin"),
      role: "admin",
      reason: "global crisis",
    });
    const global = await create({ amountMinor: "100" });
    expect(global.status).toBe("denied");
    expect(global.reasons.join(" ")).toContain("global crisis");
    await unfreezeTreasury({ ...base, ventureId: null, ...f.as("admin"), role: "admin", reason: "over" });
  });

  it("50 concurrent intents never hold more than the budget", async () => {
    const fx = await fundedIntentFixture(s.db, 100_000n);
    // A pool with a connection per request: every transaction waits on the budget's row lock.
    const wide = createDb(s.databaseUrl, { poolMax: 52 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        createIntent({
          db: wide,
          ...fx.as("founder"),
          requester: fx.requester("founder"),
          input: intent({ amountMinor: "5000", portfolioId: fx.portfolioId, ventureId: fx.ventureId }),
        }),
      ),
    ).finally(() => wide.$disconnect());
    const approved = results.filter((r) => r.status === "approved");
    const total = approved.reduce((sum, r) => sum + r.amountMinor, 0n);
    expect(total).toBeLessThanOrEqual(100_000n);
    expect(approved).toHaveLength(20);
    const shortfall = results.filter((r) => r.status === "denied");
    expect(shortfall).toHaveLength(30);
    expect(shortfall[0]!.reasons.join(" ")).toMatch(/budget/);
    expect(await available(fx)).toBe(0n);
  });

  it("bad inputs name the field and write nothing", async () => {
    const count = async () => s.db.moneyIntent.count({ where: { portfolioId: f.portfolioId } });
    const before = await count();
    await refused(create({ amountMinor: "0" }), "BAD_REQUEST", "amountMinor");
    await refused(create({ amountMinor: "-5" }), "BAD_REQUEST", "amountMinor");
    await refused(create({ amountMinor: "12.5" }), "BAD_REQUEST", "amountMinor");
    await refused(create({ amountMinor: 12.5 }), "BAD_REQUEST", "amountMinor");
    await refused(create({ ventureId: "ven_unknown" }), "BAD_REQUEST", "ventureId");
    await refused(create({ surprise: true }), "BAD_REQUEST", "surprise");
    await refused(create({ category: "yachts" }), "BAD_REQUEST", "category");
    expect(await count()).toBe(before);
  });
});

/** The transactions that wrote these intents: rows written together share their xmin. */
async function transactionsOf(ids: string[]): Promise<number> {
  const rows = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
    "SELECT count(DISTINCT xmin::text) AS n FROM money_intents WHERE id = ANY ($1::text[])",
    ids,
  );
  return Number(rows[0]!.n);
}

describe("group commit (ADR 0020)", () => {
  const ask = (db: Db, over: Record<string, unknown>, correlationId: string, fx: IntentFixture = f) =>
    createIntent({
      db,
      actor: fx.as("founder").actor,
      correlationId,
      requester: fx.requester("founder"),
      input: intent({ portfolioId: fx.portfolioId, ventureId: fx.ventureId, ...over }),
    });

  it("writes intents that arrive together in one transaction, each with its own answer and events", async () => {
    const taken = await create({ amountMinor: "800" });
    const before = await available();
    const sizesBefore = await intentGroupTotals();
    const db = createDb(s.databaseUrl, { poolMax: 4 });
    const asks = [
      ...Array.from({ length: 10 }, (_, i) => ({ amountMinor: String(100 + i) })),
      { amountMinor: "60000" },
      { amountMinor: "2000000" },
      { ventureId: "ven_unknown" },
      { idempotencyKey: taken.idempotencyKey, amountMinor: "801" },
    ];
    const outcomes = await Promise.allSettled(asks.map((over, i) => ask(db, over, `cor_group_${i}`))).finally(
      () => db.$disconnect(),
    );
    const value = (i: number) =>
      (outcomes[i] as PromiseFulfilledResult<Awaited<ReturnType<typeof create>>>).value;
    expect(outcomes.slice(0, 12).map((o) => o.status)).toEqual(Array(12).fill("fulfilled"));
    expect(outcomes.slice(0, 10).map((_, i) => value(i).status)).toEqual(Array(10).fill("approved"));
    expect(value(10).status).toBe("pending_approval");
    expect(value(11).status).toBe("denied");
    expect(((outcomes[12] as PromiseRejectedResult).reason as AppError).code).toBe("BAD_REQUEST");
    expect(((outcomes[13] as PromiseRejectedResult).reason as AppError).code).toBe("CONFLICT");

    const written = outcomes.slice(0, 12).map((_, i) => value(i));
    // Fewer transactions than intents: some were written together, as the metrics say too.
    expect(await transactionsOf(written.map((w) => w.id))).toBeLessThan(written.length);
    const sizesAfter = await intentGroupTotals();
    expect(sizesAfter.intents - sizesBefore.intents).toBe(asks.length);
    expect(sizesAfter.groups - sizesBefore.groups).toBeLessThan(asks.length);
    const held = written.filter((w) => w.holdId !== null).reduce((sum, w) => sum + w.amountMinor, 0n);
    expect(await available()).toBe(before - held);
    for (const w of written) {
      expect(w).toEqual(await getIntent({ db: s.db, portfolioId: f.portfolioId, intentId: w.id }));
    }
    // Each intent's events carry its own request's correlation id, not the group's first.
    await sealEvents(s.db);
    const events = await readEvents(s.db, {
      portfolioId: f.portfolioId,
      limit: 1_000,
      correlationId: "cor_group_3",
    });
    expect(events.map((e) => e.type)).toEqual([
      "treasury.intent_created",
      "treasury.intent_decided",
      "treasury.hold_placed",
    ]);
    expect(events.map((e) => e.stream.id)).toEqual([written[3]!.id, written[3]!.id, written[3]!.holdId]);
  });

  it("denies, inside one group, exactly the intents the budget cannot cover", async () => {
    const fx = await fundedIntentFixture(s.db, 10_000n);
    const db = createDb(s.databaseUrl, { poolMax: 4 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => ask(db, { amountMinor: "3000" }, `cor_budget_${i}`, fx)),
    ).finally(() => db.$disconnect());
    expect(results.filter((r) => r.status === "approved")).toHaveLength(3);
    const denied = results.filter((r) => r.status === "denied");
    expect(denied).toHaveLength(5);
    expect(denied[0]!.reasons.join(" ")).toMatch(/budget cannot cover/);
    expect(await transactionsOf(results.map((r) => r.id))).toBeLessThan(8);
    expect(await available(fx)).toBe(1_000n);
  });

  it("writes each request of a group that fails as a whole again alone, each with its own answer", async () => {
    const key = `held-${Math.random().toString(36).slice(2, 8)}`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Another transaction inserts an intent with `key` and stays open: the group's insert of the
    // same key waits for it, and fails when it commits.
    // (Denied by policy, so it holds nothing and locks no account the group needs.)
    let held!: Awaited<ReturnType<typeof create>>;
    const holder = withTransaction(s.db, async () => {
      held = await create({ idempotencyKey: key, amountMinor: "2000000" });
      await gate;
    });
    while (!held) await new Promise((resolve) => setTimeout(resolve, 5));

    const retriedBefore = (await intentGroupTotals()).retriedAlone;
    const db = createDb(s.databaseUrl, { poolMax: 4 });
    // The first two start alone (two runners); the rest, the held key among them, form a group.
    // Those two are denied by policy, so they lock no account: the only wait is the group's.
    const outcomes = Promise.allSettled([
      ...Array.from({ length: 2 }, (_, i) => ask(db, { amountMinor: "2000000" }, `cor_fail_${i}`)),
      ...Array.from({ length: 4 }, (_, i) => ask(db, { amountMinor: "300" }, `cor_fail_${2 + i}`)),
      ask(db, { idempotencyKey: key, amountMinor: "901" }, "cor_fail_held"),
      ...Array.from({ length: 3 }, (_, i) => ask(db, { amountMinor: "300" }, `cor_fail_${6 + i}`)),
    ]);
    for (let waited = 0; ; waited += 20) {
      const [row] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (Number(row!.n) > 0) break;
      expect(waited, "the group waits on the held key").toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    release();
    await holder;
    const settled = await outcomes.finally(() => db.$disconnect());

    const conflict = settled[6] as PromiseRejectedResult;
    expect((conflict.reason as AppError).code).toBe("CONFLICT");
    expect((conflict.reason as AppError).details.intentId).toBe(held.id);
    const others = settled
      .filter((_, i) => i !== 6)
      .map((o) => {
        expect(o.status).toBe("fulfilled");
        return (o as PromiseFulfilledResult<Awaited<ReturnType<typeof create>>>).value;
      });
    expect(others.map((o) => o.status)).toEqual([...Array(2).fill("denied"), ...Array(7).fill("approved")]);
    // Written once each, and each alone: the group's transaction left nothing behind.
    expect(await transactionsOf(others.map((o) => o.id))).toBe(9);
    const rows = await s.db.moneyIntent.count({ where: { id: { in: others.map((o) => o.id) } } });
    expect(rows).toBe(9);
    expect((await intentGroupTotals()).retriedAlone).toBe(retriedBefore + 1);
  });

  it("keeps every budget whole when concurrent groups hold on the same ventures in any order", async () => {
    const budget = 50_000n;
    const fixtures = await Promise.all(Array.from({ length: 4 }, () => fundedIntentFixture(s.db, budget)));
    const retriedBefore = (await intentGroupTotals()).retriedAlone;
    const db = createDb(s.databaseUrl, { poolMax: 6 });
    // 120 intents over the four ventures in a shuffled order: the groups of both runners hold on
    // every venture, in whatever order the requests came, and the budgets run out midway, so
    // groups go both ways: set-based while every hold fits, row by row once one does not.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    const asks = Array.from({ length: 120 }, (_, i) => ({
      fx: fixtures[next() % 4]!,
      amount: 1_000 + (next() % 4_001),
      i,
    }));
    const results = await Promise.all(
      asks.map(({ fx, amount, i }) => ask(db, { amountMinor: String(amount) }, `cor_mix_${i}`, fx)),
    ).finally(() => db.$disconnect());

    for (const fx of fixtures) {
      const mine = results.filter((r) => r.ventureId === fx.ventureId);
      const held = mine.filter((r) => r.status === "approved").reduce((sum, r) => sum + r.amountMinor, 0n);
      expect(held).toBeLessThanOrEqual(budget);
      expect(await available(fx)).toBe(budget - held);
      for (const denied of mine.filter((r) => r.status === "denied")) {
        expect(denied.reasons.join(" ")).toMatch(/budget cannot cover/);
        // Denied only when it did not fit what was left at its turn, which is at least what is
        // left now.
        expect(await available(fx)).toBeLessThan(denied.amountMinor);
      }
    }
    expect(results.filter((r) => r.status === "denied").length).toBeGreaterThan(0);
    // No group failed as a whole (and so none was written again one by one).
    expect((await intentGroupTotals()).retriedAlone).toBe(retriedBefore);
    const [row] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      "SELECT count(*) AS n FROM money_intents WHERE id = ANY ($1::text[])",
      results.map((r) => r.id),
    );
    expect(Number(row!.n)).toBe(120);
  });
});

describe("decisions on the state this process remembers (ADR 0022)", () => {
  /** What the next intents' transactions were decided on, as counted by the metric. */
  async function stateOf<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; read: number; remembered: number; changed: number }> {
    const before = await intentStateTotals();
    const result = await work();
    const after = await intentStateTotals();
    return {
      result,
      read: after.read - before.read,
      remembered: after.remembered - before.remembered,
      changed: after.changed - before.changed,
    };
  }

  it("decides on the remembered state while nothing changed, with the same answers and holds", async () => {
    const fx = await fundedIntentFixture(s.db, 1_000_000n);
    const first = await stateOf(() => create({ amountMinor: "1000" }, fx));
    expect(first).toMatchObject({ read: 1, remembered: 0, changed: 0 });
    const second = await stateOf(() => create({ amountMinor: "2000" }, fx));
    expect(second).toMatchObject({ read: 0, remembered: 1, changed: 0 });
    expect(second.result.status).toBe("approved");
    expect(second.result.decision.policyVersion).toBe(first.result.decision.policyVersion);
    const pending = await stateOf(() => create({ amountMinor: "60000" }, fx));
    expect(pending).toMatchObject({ remembered: 1, changed: 0 });
    expect(pending.result.status).toBe("pending_approval");
    expect(await available(fx)).toBe(1_000_000n - 63_000n);
    await sealEvents(s.db);
    const events = (await readEvents(s.db, { portfolioId: fx.portfolioId, limit: 1_000 })).filter(
      (e) => e.stream.id === second.result.id,
    );
    expect(events.map((e) => e.type)).toEqual(["treasury.intent_created", "treasury.intent_decided"]);
  });

  it("denies at once when the venture or the portfolio was frozen since, and decides on read state after", async () => {
    const fx = await fundedIntentFixture(s.db, 1_000_000n);
    const base = {
      db: s.db,
      ...fx.as("finance_controller"),
      role: "finance_controller" as const,
      portfolioId: fx.portfolioId,
    };
    for (const ventureId of [fx.ventureId, null]) {
      await create({}, fx);
      await freezeTreasury({ ...base, ventureId, reason: "suspicious spend" });
      try {
        const frozen = await stateOf(() => create({}, fx));
        expect(frozen).toMatchObject({ changed: 1, read: 0 });
        expect(frozen.result.status).toBe("denied");
        expect(frozen.result.holdId).toBeNull();
        expect(frozen.result.reasons.join(" ")).toContain("suspicious spend");
        // Frozen state is not remembered: the next intent reads it again.
        expect(await stateOf(() => create({}, fx))).toMatchObject({ read: 1, remembered: 0 });
      } finally {
        await unfreezeTreasury({ ...base, ventureId, reason: "reviewed" });
      }
      expect((await create({}, fx)).status).toBe("approved");
    }
    expect(await available(fx)).toBe(1_000_000n - 4n * 1_000n);
  });

  it("decides with a policy version published since", async () => {
    const fx = await fundedIntentFixture(s.db, 1_000_000n);
    const before = await create({ amountMinor: "1000" }, fx);
    expect(before.status).toBe("approved");
    const published = await publishPolicyVersion({
      db: s.db,
      ...fx.as("admin"),
      role: "admin",
      portfolioId: fx.portfolioId,
      scope: "treasury",
      text: `${defaultPolicyText("treasury")}\n@id("test.cap") @reason("Nothing above 5.00 this week")\nforbid (principal, action in Action::"spend", resource) when { context.amountMinor > 500 };\n`,
      note: "cap",
    });
    const after = await stateOf(() => create({ amountMinor: "1000" }, fx));
    expect(after).toMatchObject({ changed: 1 });
    expect(after.result.status).toBe("denied");
    expect(after.result.reasons).toContain("Nothing above 5.00 this week");
    expect(after.result.decision.policyVersion).toBe(published.versionHash);
    expect(after.result.decision.policyVersion).not.toBe(before.decision.policyVersion);
  });

  it("decides with the counterparty allowlist as it is now", async () => {
    const fx = await fundedIntentFixture(s.db, 1_000_000n);
    expect((await create({}, fx)).status).toBe("approved");
    const unknown = await stateOf(() => create({ counterparty: "globex" }, fx));
    expect(unknown).toMatchObject({ remembered: 1 });
    expect(unknown.result.status).toBe("denied");
    await allowCounterparty({ db: s.db, ventureId: fx.ventureId, counterpartyId: "globex" });
    const allowed = await stateOf(() => create({ counterparty: "globex" }, fx));
    expect(allowed).toMatchObject({ changed: 1 });
    expect(allowed.result.status).toBe("approved");
  });

  it("denies while paused, though the state was remembered while running", async () => {
    const fx = await fundedIntentFixture(s.db, 1_000_000n);
    await create({}, fx);
    const paused = await whilePaused(s.db, () => stateOf(() => create({}, fx)));
    expect(paused).toMatchObject({ changed: 1 });
    expect(paused.result.status).toBe("denied");
    expect(paused.result.reasons.join(" ")).toMatch(/kill-switch/i);
    expect((await create({}, fx)).status).toBe("approved");
  });

  it("answers a repeated key with the intent it made, and other content with CONFLICT, after remembering", async () => {
    const fx = await fundedIntentFixture(s.db, 1_000_000n);
    const input = intent({ ventureId: fx.ventureId, portfolioId: fx.portfolioId, amountMinor: "1500" });
    const ask = (over: Record<string, unknown> = {}) =>
      createIntent({
        db: s.db,
        ...fx.as("founder"),
        requester: fx.requester(),
        input: { ...input, ...over },
      });
    const first = await ask();
    const again = await stateOf(() => ask());
    expect(again).toMatchObject({ changed: 1 });
    expect(again.result.id).toBe(first.id);
    await refused(ask({ amountMinor: "1501" }), "CONFLICT", "idempotencyKey");
    expect(await available(fx)).toBe(1_000_000n - 1_500n);
  });
});
