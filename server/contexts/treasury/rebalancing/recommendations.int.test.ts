// Recommendations from the real ledger, and UJ-2 through the tRPC procedures (ORCH-007, ADR 0016):
// burn, runway and revenue growth are read from what was posted on which day; the venture with a
// long runway and flat revenue is asked to give what lifts the one with a short runway and growing
// revenue to 90 days; a founder requests that move, a finance controller approves it, the ledger
// shows it, and the recommendation is gone.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestServices, type TestServices } from "@/test/services";
import { trialBalance } from "../ledger/trial-balance";
import { rebalancingOverview } from "./rebalancing-overview";
import { history, type RebalancingFixture, rebalancingFixture } from "./testing";

let s: TestServices;
let f: RebalancingFixture;
let rich: string;
let growing: string;
let young: string;

beforeAll(async () => {
  s = await openTestServices();
  f = await rebalancingFixture(s.db);
  // Rich: 10,000.00 of budget, 90 days old, spent 30.00 this month, revenue flat (50.00 and 50.00).
  rich = await f.venture("Rich", { budgetMinor: 1_000_000n, ageDays: 90 });
  await history.spend(s.db, f.portfolioId, rich, 3_000n, 4);
  await history.revenue(s.db, f.portfolioId, rich, 5_000n, 10);
  await history.revenue(s.db, f.portfolioId, rich, 5_000n, 40);
  // Growing: 600.00 funded, 90 days old, spent 300.00 this month (10.00 a day: 30 days of runway
  // left on 300.00), revenue 100.00 the month before and 250.00 this month.
  growing = await f.venture("Growing", { budgetMinor: 60_000n, ageDays: 90 });
  await history.spend(s.db, f.portfolioId, growing, 10_000n, 20);
  await history.spend(s.db, f.portfolioId, growing, 20_000n, 2);
  await history.revenue(s.db, f.portfolioId, growing, 10_000n, 45);
  await history.revenue(s.db, f.portfolioId, growing, 25_000n, 3);
  // Young: lots of budget but created today: never asked to give yet.
  young = await f.venture("Young", { budgetMinor: 2_000_000n });
});
afterAll(async () => {
  await s.close();
});

describe("rebalancing recommendations from the ledger", () => {
  it("measures burn, runway and revenue growth per venture and recommends one move", async () => {
    const overview = await rebalancingOverview({ db: s.db, portfolioId: f.portfolioId });
    const byId = new Map(overview.ventures.map((v) => [v.ventureId, v]));
    expect(byId.get(rich)).toMatchObject({
      budgetAvailableMinor: 997_000n,
      spendMinor: 3_000n,
      spendDays: 30,
      burnPerDayMinor: 100n,
      runwayDays: 9_970,
      revenueMinor: 5_000n,
      previousRevenueMinor: 5_000n,
      revenueTrend: "flat",
      role: "source",
      // It keeps 120 days of its own burn: 120 × 1.00.
      movableMinor: 997_000n - 12_000n,
    });
    expect(byId.get(growing)).toMatchObject({
      budgetAvailableMinor: 30_000n,
      spendMinor: 30_000n,
      burnPerDayMinor: 1_000n,
      runwayDays: 30,
      revenueMinor: 25_000n,
      previousRevenueMinor: 10_000n,
      revenueGrowthBps: 15_000,
      revenueTrend: "growing",
      role: "target",
      neededMinor: 60_000n,
    });
    expect(byId.get(young)).toMatchObject({ role: null, ageDays: 0 });
    expect(overview.recommendations).toHaveLength(1);
    const [move] = overview.recommendations;
    expect(move).toMatchObject({
      fromVentureId: rich,
      toVentureId: growing,
      amountMinor: 60_000n,
      currency: "USD",
    });
    expect(move!.reasons.join(" ")).toContain("revenue 250.00 USD in the last 30 days against 100.00 USD");
    expect(move!.reasons.join(" ")).toContain("(+150%)");
  });

  it("UJ-2: a founder requests the recommended move, a finance controller approves it, the ledger shows it", async () => {
    const founder = f.caller("founder");
    const { recommendations } = await founder.rebalancing.recommendations({ portfolioId: f.portfolioId });
    const move = recommendations[0]!;
    // An auditor reads the recommendations but may not move budget.
    await expect(
      f.caller("auditor").rebalancing.recommendations({ portfolioId: f.portfolioId }),
    ).resolves.toMatchObject({ recommendations: [{ id: move.id }] });
    const refused = await f
      .caller("auditor")
      .rebalancing.requestTransfer({
        portfolioId: f.portfolioId,
        fromVentureId: move.fromVentureId,
        toVentureId: move.toVentureId,
        amountMinor: move.amountMinor.toString(),
        currency: move.currency,
        reason: move.summary,
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("FORBIDDEN");

    const requested = await founder.rebalancing.requestTransfer({
      portfolioId: f.portfolioId,
      fromVentureId: move.fromVentureId,
      toVentureId: move.toVentureId,
      amountMinor: move.amountMinor.toString(),
      currency: move.currency,
      reason: move.summary,
      idempotencyKey: `uj2-${move.id}`,
    });
    expect(requested).toMatchObject({ transferStatus: "pending_approval", amountMinor: "60000" });
    // While it waits for approval the move counts as on its way: it is not recommended again.
    const waiting = await founder.rebalancing.recommendations({ portfolioId: f.portfolioId });
    expect(waiting.recommendations).toEqual([]);
    expect(waiting.ventures.find((v) => v.ventureId === growing)).toMatchObject({
      incomingPendingMinor: 60_000n,
      role: null,
    });
    // In the finance controller's inbox, like any money intent.
    const inbox = await f.caller("finance_controller").treasury.listIntents({
      portfolioId: f.portfolioId,
      status: "pending_approval",
    });
    expect(inbox.map((i) => [i.id, i.category, i.ventureId, i.counterparty])).toContainEqual([
      requested.id,
      "budget_transfer",
      rich,
      growing,
    ]);
    await f.caller("finance_controller").treasury.approveIntent({
      portfolioId: f.portfolioId,
      intentId: requested.id,
      note: "Growing revenue deserves the runway",
    });

    const [listed] = await f.caller("auditor").rebalancing.listTransfers({ portfolioId: f.portfolioId });
    expect(listed).toMatchObject({
      intentId: requested.id,
      status: "settled",
      entryId: `${requested.id}:transfer`,
    });
    const tb = await f.caller("auditor").treasury.trialBalance({ portfolioId: f.portfolioId });
    const usd = tb.currencies.find((c) => c.currency === "USD")!;
    expect(usd.differenceMinor).toBe(0n);
    const budgetOf = (ventureId: string) =>
      usd.rows.find((r) => r.ventureId === ventureId && r.code === "budget")!.debitMinor;
    expect(budgetOf(rich)).toBe(1_000_000n - 3_000n - 60_000n);
    expect(budgetOf(growing)).toBe(60_000n - 30_000n + 60_000n);
    for (const c of (await trialBalance(s.db, { portfolioId: f.portfolioId })).currencies) {
      expect(c.netPostedMinor).toBe(0n);
    }

    // Growing now has 90 days of runway: nothing left to recommend.
    const after = await founder.rebalancing.recommendations({ portfolioId: f.portfolioId });
    expect(after.ventures.find((v) => v.ventureId === growing)).toMatchObject({ runwayDays: 90, role: null });
    expect(after.recommendations).toEqual([]);
  });
});
