import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import type { AppError } from "@/server/shared/errors";
import type { CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import { expireHolds } from "./expire-holds";
import { getBalances } from "./get-balances";
import { placeHold, placeHolds } from "./place-hold";
import { postHold } from "./post-hold";
import { recordHoldPlaced, recordHoldPosted, recordHoldsExpired, recordHoldVoided } from "./record";
import { reverseEntry } from "./reverse-entry";
import { fundedVenture, ledgerFingerprint, refused, sleep } from "./testing/support";
import { verifyLedger } from "./verify-ledger";
import { voidHold } from "./void-hold";

let s: TestServices;
const ctx: CommandContext = { actor: { type: "system", id: "test" }, correlationId: "cor_ledger_holds" };

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000);

async function spendHold(
  v: Awaited<ReturnType<typeof fundedVenture>>,
  amountMinor: bigint,
  expiresAt = inMinutes(10),
) {
  return placeHold(s.db, {
    id: newId("correlation"),
    debitAccountId: v.acct("expense:models"),
    creditAccountId: v.acct("budget"),
    amountMinor,
    expiresAt,
  });
}

describe("holds", () => {
  it("reserves funds: available drops, posted does not move", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    await spendHold(v, 4_000n);
    const [budget, expense] = await getBalances(s.db, {
      accountIds: [v.acct("budget"), v.acct("expense:models")],
    });
    expect(budget).toMatchObject({
      postedMinor: 10_000n,
      creditsPendingMinor: 4_000n,
      availableMinor: 6_000n,
    });
    expect(expense).toMatchObject({ postedMinor: 0n, debitsPendingMinor: 4_000n });
  });

  it("posts in full: pending moves to posted atomically", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 4_000n);
    const resolution = await postHold(s.db, { holdId: hold.holdId });
    expect(resolution).toMatchObject({
      outcome: "posted",
      heldMinor: 4_000n,
      postedMinor: 4_000n,
      releasedMinor: 0n,
    });
    expect(resolution.entry?.entryId).toBe(`${hold.holdId}:post`);
    const [budget, expense] = await getBalances(s.db, {
      accountIds: [v.acct("budget"), v.acct("expense:models")],
    });
    expect(budget).toMatchObject({
      creditsPostedMinor: 4_000n,
      creditsPendingMinor: 0n,
      availableMinor: 6_000n,
    });
    expect(expense).toMatchObject({ debitsPostedMinor: 4_000n, debitsPendingMinor: 0n, postedMinor: 4_000n });
  });

  it("posts part of a hold and releases the remainder", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 4_000n);
    const resolution = await postHold(s.db, { holdId: hold.holdId, amountMinor: 1_500n });
    expect(resolution).toMatchObject({ postedMinor: 1_500n, releasedMinor: 2_500n });
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget).toMatchObject({
      creditsPostedMinor: 1_500n,
      creditsPendingMinor: 0n,
      availableMinor: 8_500n,
    });
  });

  it("refuses to post more than the hold, and writes nothing", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 4_000n);
    const before = await ledgerFingerprint(s.db);
    const error = await refused(
      postHold(s.db, { holdId: hold.holdId, amountMinor: 4_001n }),
      "UNPROCESSABLE",
      "amountMinor",
    );
    expect(error.details).toMatchObject({ heldMinor: "4000", requestedMinor: "4001" });
    await refused(postHold(s.db, { holdId: hold.holdId, amountMinor: 0n }), "BAD_REQUEST", "amountMinor");
    await refused(postHold(s.db, { holdId: hold.holdId, amountMinor: -5n }), "BAD_REQUEST", "amountMinor");
    await refused(postHold(s.db, { holdId: "no-such-hold" }), "NOT_FOUND", "holdId");
    expect(await ledgerFingerprint(s.db)).toBe(before);
  });

  it("voids: everything goes back, and a resolved hold resolves no more", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 4_000n);
    expect(await voidHold(s.db, { holdId: hold.holdId })).toMatchObject({
      outcome: "voided",
      releasedMinor: 4_000n,
    });
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget).toMatchObject({ creditsPendingMinor: 0n, availableMinor: 10_000n });
    const again = await refused(voidHold(s.db, { holdId: hold.holdId }), "UNPROCESSABLE");
    expect(again.details).toMatchObject({ reason: "hold_resolved", outcome: "voided" });
    await refused(postHold(s.db, { holdId: hold.holdId }), "UNPROCESSABLE");
  });

  it("names the field of bad hold input and writes nothing", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const before = await ledgerFingerprint(s.db);
    const hold = {
      id: newId("correlation"),
      debitAccountId: v.acct("expense:models"),
      creditAccountId: v.acct("budget"),
      amountMinor: 100n,
      expiresAt: inMinutes(5),
    };
    await refused(placeHold(s.db, { ...hold, amountMinor: 0n }), "BAD_REQUEST", "amountMinor");
    await refused(placeHold(s.db, { ...hold, amountMinor: -100n }), "BAD_REQUEST", "amountMinor");
    await refused(
      placeHold(s.db, { ...hold, creditAccountId: `${v.ventureId}:nope:USD` }),
      "NOT_FOUND",
      "creditAccountId",
    );
    await refused(
      placeHold(s.db, { ...hold, creditAccountId: v.acct("budget", "EUR") }),
      "BAD_REQUEST",
      "creditAccountId",
    );
    await refused(
      placeHold(s.db, { ...hold, creditAccountId: v.p("cash") }),
      "BAD_REQUEST",
      "creditAccountId",
    );
    await refused(
      placeHold(s.db, { ...hold, expiresAt: new Date(Date.now() - 1_000) }),
      "BAD_REQUEST",
      "expiresAt",
    );
    expect(await ledgerFingerprint(s.db)).toBe(before);
    await placeHold(s.db, hold);
    const afterOne = await ledgerFingerprint(s.db);
    await refused(placeHold(s.db, hold), "CONFLICT", "id");
    expect(await ledgerFingerprint(s.db)).toBe(afterOne);
    await voidHold(s.db, { holdId: hold.id });
    const before2 = await ledgerFingerprint(s.db);
    const over = await refused(
      placeHold(s.db, { ...hold, id: newId("correlation"), amountMinor: 10_001n }),
      "UNPROCESSABLE",
    );
    expect(over.details).toMatchObject({ accountId: v.acct("budget"), shortfallMinor: "1" });
    expect(await ledgerFingerprint(s.db)).toBe(before2);
    // In a batch, the field names the hold.
    await refused(
      placeHolds(s.db, { holds: [hold, { ...hold, id: newId("correlation"), amountMinor: 0n }] }),
      "BAD_REQUEST",
      "holds[1].amountMinor",
    );
  });

  it("expires by the database clock, once, and then refuses post and void", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 3_000n, new Date(Date.now() + 1_500));
    expect(await expireHolds(s.db, { limit: 100 }).then((r) => r.map((h) => h.holdId))).not.toContain(
      hold.holdId,
    );
    await sleep(1_700);
    await refused(postHold(s.db, { holdId: hold.holdId }), "UNPROCESSABLE");
    const voided = await refused(voidHold(s.db, { holdId: hold.holdId }), "UNPROCESSABLE");
    expect(voided.details.reason).toBe("hold_expired");
    const expired = await expireHolds(s.db, { limit: 1_000 });
    expect(expired.find((h) => h.holdId === hold.holdId)).toMatchObject({
      outcome: "expired",
      releasedMinor: 3_000n,
    });
    expect((await expireHolds(s.db, { limit: 1_000 })).find((h) => h.holdId === hold.holdId)).toBeUndefined();
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget).toMatchObject({ creditsPendingMinor: 0n, availableMinor: 10_000n });
  });

  it("refuses an expiry recorded early, even by raw SQL (the database clock judges)", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 1_000n);
    const client = new pg.Client({ connectionString: s.databaseUrl });
    await client.connect();
    try {
      await expect(
        client.query(
          `INSERT INTO ledger_hold_resolutions (hold_id, outcome, posted_minor) VALUES ($1, 'expired', 0)`,
          [hold.holdId],
        ),
      ).rejects.toThrow(/cannot resolve as expired/);
      await expect(
        client.query(
          `INSERT INTO ledger_hold_resolutions (hold_id, outcome, posted_minor) VALUES ($1, 'posted', 5000)`,
          [hold.holdId],
        ),
      ).rejects.toThrow(/cannot resolve as posted/);
      await expect(client.query("DELETE FROM ledger_open_holds")).rejects.toThrow(/maintained by the ledger/);
      await expect(client.query("UPDATE ledger_holds SET amount_minor = 1")).rejects.toThrow(/immutable/);
    } finally {
      await client.end();
    }
  });

  it("settlements can be reversed like any entry", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const hold = await spendHold(v, 2_000n);
    const posted = await postHold(s.db, { holdId: hold.holdId });
    await reverseEntry(s.db, { id: newId("correlation"), entryId: posted.entry!.entryId, memo: "refund" });
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget!.availableMinor).toBe(10_000n);
  });

  it("records each step of a hold as an event on the hold's stream", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    const placed = await withTransaction(s.db, (tx) =>
      recordHoldPlaced(tx, ctx, {
        id: newId("correlation"),
        debitAccountId: v.acct("expense:ads"),
        creditAccountId: v.acct("budget"),
        amountMinor: 700n,
        expiresAt: inMinutes(5),
        memo: "ads for launch",
      }),
    );
    expect(placed.event).toMatchObject({
      type: "treasury.hold_placed",
      stream: { type: "ledger_hold", id: placed.hold.holdId, version: 1 },
      payload: { amountMinor: "700", currency: "USD", bookId: v.ventureId, memo: "ads for launch" },
    });
    const posted = await withTransaction(s.db, (tx) =>
      recordHoldPosted(tx, ctx, { holdId: placed.hold.holdId, amountMinor: 500n }),
    );
    expect(posted.event).toMatchObject({
      type: "treasury.hold_posted",
      stream: { version: 2 },
      payload: {
        heldMinor: "700",
        postedMinor: "500",
        releasedMinor: "200",
        entryId: `${placed.hold.holdId}:post`,
      },
    });
    const second = await withTransaction(s.db, (tx) =>
      recordHoldPlaced(tx, ctx, {
        id: newId("correlation"),
        debitAccountId: v.acct("expense:ads"),
        creditAccountId: v.acct("budget"),
        amountMinor: 300n,
        expiresAt: inMinutes(5),
      }),
    );
    const voided = await withTransaction(s.db, (tx) =>
      recordHoldVoided(tx, ctx, { holdId: second.hold.holdId }),
    );
    expect(voided.event).toMatchObject({ type: "treasury.hold_voided", payload: { releasedMinor: "300" } });
  });
});

describe("holds under concurrency", () => {
  it("two concurrent posts of one hold: exactly one wins", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 10_000n });
    for (let round = 0; round < 10; round++) {
      const hold = await spendHold(v, 100n);
      const results = await Promise.allSettled([
        withTransaction(s.db, (tx) => postHold(tx, { holdId: hold.holdId })),
        withTransaction(s.db, (tx) => postHold(tx, { holdId: hold.holdId, amountMinor: 60n })),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const loser = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect((loser.reason as AppError).code).toBe("UNPROCESSABLE");
    }
    expect((await verifyLedger(s.db, { portfolioId: v.portfolioId })).ok).toBe(true);
  });

  it("two batches holding on the same accounts in opposite orders do not deadlock: accounts are locked in id order", async () => {
    const [a, b] = (
      await Promise.all([
        fundedVenture(s.db, { budgetMinor: 10_000n }),
        fundedVenture(s.db, { budgetMinor: 10_000n }),
      ])
    ).sort((x, y) => (x.acct("budget") < y.acct("budget") ? -1 : 1)) as [
      Awaited<ReturnType<typeof fundedVenture>>,
      Awaited<ReturnType<typeof fundedVenture>>,
    ];
    const holdOn = (v: typeof a) => ({
      id: newId("correlation"),
      debitAccountId: v.acct("expense:models"),
      creditAccountId: v.acct("budget"),
      amountMinor: 100n,
      expiresAt: inMinutes(10),
    });
    const waitingOnLocks = async () => {
      const [row] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return Number(row!.n);
    };
    const until = async (n: number) => {
      for (let waited = 0; (await waitingOnLocks()) < n; waited += 10) {
        expect(waited, `${n} transaction(s) waiting on a row lock`).toBeLessThan(10_000);
        await sleep(10);
      }
    };
    // A third transaction holds a's expense account, the first account of the first batch in its
    // own order. Locking in the order given, the first batch would wait there holding nothing, and
    // the second (b before a) would take b's accounts and then wait there too; once released, the
    // first would get a's accounts and wait for b's: a deadlock. Locking every account in id order
    // first, the second batch waits at a's budget holding nothing, and both go through.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = false;
    const blocker = withTransaction(s.db, async (tx) => {
      await tx.$executeRawUnsafe(
        "SELECT 1 FROM ledger_accounts WHERE id = $1 FOR NO KEY UPDATE",
        a.acct("expense:models"),
      );
      locked = true;
      await gate;
    });
    while (!locked) await sleep(5);
    const forward = withTransaction(s.db, (tx) => placeHolds(tx, { holds: [holdOn(a), holdOn(b)] }));
    await until(1);
    const backward = withTransaction(s.db, (tx) => placeHolds(tx, { holds: [holdOn(b), holdOn(a)] }));
    await until(2);
    release();
    await blocker;
    const settled = await Promise.allSettled([forward, backward]);
    expect(settled.map((r) => (r.status === "rejected" ? String(r.reason) : r.status))).toEqual([
      "fulfilled",
      "fulfilled",
    ]);
    const [budgetA, budgetB] = await getBalances(s.db, { accountIds: [a.acct("budget"), b.acct("budget")] });
    expect([budgetA!.availableMinor, budgetB!.availableMinor]).toEqual([9_800n, 9_800n]);
  });

  it("post, void and expiry racing for one hold: it resolves exactly once", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 100_000n });
    // Ten holds race a post against a void; ten short-lived ones race four expiry jobs.
    const early = await Promise.all(Array.from({ length: 10 }, () => spendHold(v, 100n)));
    const short = await Promise.all(
      Array.from({ length: 10 }, () => spendHold(v, 100n, new Date(Date.now() + 1_000))),
    );
    const races = await Promise.all(
      early.map((hold) =>
        Promise.allSettled([
          withTransaction(s.db, (tx) => postHold(tx, { holdId: hold.holdId })),
          withTransaction(s.db, (tx) => voidHold(tx, { holdId: hold.holdId })),
        ]),
      ),
    );
    for (const race of races) expect(race.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    await sleep(1_200);
    const jobs = await Promise.all(
      Array.from({ length: 4 }, () =>
        withTransaction(s.db, (tx) =>
          recordHoldsExpired(tx, { ...ctx, correlationId: newId("correlation") }, { limit: 3 }),
        ),
      ),
    );
    let expired = jobs.flatMap((j) => j.resolutions.map((r) => r.holdId));
    while (true) {
      const more = await expireHolds(s.db, { limit: 1_000 });
      if (more.length === 0) break;
      expired = [...expired, ...more.map((r) => r.holdId)];
    }
    const late = short.map((h) => h.holdId);
    expect(expired.filter((id) => late.includes(id)).sort()).toEqual([...late].sort());
    expect(new Set(expired).size).toBe(expired.length);
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget!.creditsPendingMinor).toBe(0n);
    expect((await verifyLedger(s.db, { portfolioId: v.portfolioId })).ok).toBe(true);
  });
});
