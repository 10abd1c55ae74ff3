import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "@/server/shared/db";
import { AppError, type ErrorCode } from "@/server/shared/errors";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";
import { getBalances } from "../ledger/get-balances";
import { approveIntent } from "./approve-intent";
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
  createIntent({ db: s.db, ...fx.as("founder"), requester: fx.requester("founder"), input: intent(over) });

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
