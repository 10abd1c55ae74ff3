// The founder dashboard's procedures over the real database, through the tRPC caller, for a
// portfolio with known money (server/contexts/treasury/reports/testing.ts): the KPI cards, the
// venture list with health, the daily series and the activity feed say what the ledger and the
// event log say, for every role, and nothing about another tenant's portfolio.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freezeTreasury } from "@/server/contexts/treasury/intents/freezes";
import { type SeededPortfolio, seededPortfolio } from "@/server/contexts/treasury/reports/testing";
import { sealEvents } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";

let s: TestServices;
let p: SeededPortfolio;

beforeAll(async () => {
  s = await openTestServices();
  p = await seededPortfolio(s.db);
  await freezeTreasury({
    db: s.db,
    actor: { type: "user", id: p.principals.finance_controller.userId },
    correlationId: "cor_dashboard_freeze",
    role: "finance_controller",
    portfolioId: p.portfolioId,
    ventureId: p.c,
    reason: "idle venture under review",
  });
  await p.caller("founder").orchestration.submitWorkstream({
    ventureId: p.a,
    title: "Launch",
    tasks: [
      { key: "research", title: "Research", role: "researcher" },
      { key: "copy", title: "Copy", role: "copywriter", dependsOn: ["research"] },
    ],
  });
  await sealEvents(s.db);
});
afterAll(async () => {
  await s.close();
});

describe("dashboard.overview", () => {
  it("shows revenue, spend, burn, runway, cash and what waits for approval", async () => {
    const overview = await p
      .caller("founder")
      .dashboard.overview({ portfolioId: p.portfolioId, windowDays: 30 });
    expect(overview.ventures).toEqual({ total: 3, byStage: { idea: 3 }, paused: 0 });
    expect(overview.pendingApprovals).toEqual({ moneyIntents: 1, toolCalls: 0 });
    expect(overview.escalatedTasks).toBe(0);
    const treasury = 5_000_000n - 1_300_000n;
    const a = 1_000_000n - 50_000n - 60_000n + 15_000n;
    const b = 300_000n - 32_000n;
    expect(overview.currencies).toEqual([
      {
        currency: "USD",
        revenueMinor: 15_000n,
        spendMinor: 82_000n,
        // The portfolio was created today: one day of burn so far.
        netBurnPerDayMinor: 82_000n - 15_000n,
        grossBurnPerDayMinor: 82_000n,
        runwayDays: Number((treasury + a + b) / 67_000n),
        cashMinor: treasury + a + b,
        treasuryCashMinor: treasury,
        venturesAvailableMinor: a + b,
      },
    ]);
  });
});

describe("dashboard.ventures", () => {
  it("lists each venture with stage, money, open work and a health that names its reasons", async () => {
    const ventures = await p.caller("auditor").dashboard.ventures({ portfolioId: p.portfolioId });
    const by = Object.fromEntries(ventures.map((v) => [v.id, v]));
    expect(by[p.a]).toMatchObject({
      name: "Alpha Robots",
      stage: "idea",
      revenueMinor: 15_000n,
      spendMinor: 50_000n,
      runwayDays: 25,
      health: "warning",
      // No orchestrator runs in this test, so the ventures are still being provisioned.
      reasons: ["Runway 25 days (under 60)", "Still provisioning"],
    });
    expect(by[p.a]!.tasks.open).toBe(2);
    expect(by[p.b]).toMatchObject({
      runwayDays: 8,
      health: "critical",
      reasons: ["Runway 8 days (under 14)", "Still provisioning"],
    });
    expect(by[p.c]).toMatchObject({ frozen: true, health: "critical", runwayDays: null, availableMinor: 0n });
    expect(by[p.c]!.reasons).toContain("Treasury frozen");
  });
});

describe("dashboard.series", () => {
  it("gives one point per day, with today's revenue and spend", async () => {
    const series = await p
      .caller("finance_controller")
      .dashboard.series({ portfolioId: p.portfolioId, days: 14 });
    const points = series.currencies[0]!.points;
    expect(points).toHaveLength(14);
    expect(points.at(-1)).toMatchObject({
      revenueMinor: 15_000n,
      expensesMinor: 75_000n,
      netMinor: -60_000n,
    });
    expect(points.find((x) => x.day === p.backdatedDay)?.expensesMinor).toBe(7_000n);
  });
});

describe("dashboard.activity", () => {
  it("lists the portfolio's newest sealed events first, page by page without overlap", async () => {
    const caller = p.caller("admin");
    const first = await caller.dashboard.activity({ portfolioId: p.portfolioId, limit: 5 });
    expect(first.items).toHaveLength(5);
    expect(first.nextBeforePosition).not.toBeNull();
    const sequences = first.items.map((i) => i.sequence);
    expect([...sequences].sort((x, y) => y - x)).toEqual(sequences);
    const types = first.items.map((i) => i.type);
    expect(types).toContain("orchestration.workstream_submitted");
    const second = await caller.dashboard.activity({
      portfolioId: p.portfolioId,
      limit: 5,
      beforePosition: first.nextBeforePosition!,
    });
    expect(second.items).toHaveLength(5);
    expect(Math.max(...second.items.map((i) => Number(i.position)))).toBeLessThan(
      Math.min(...first.items.map((i) => Number(i.position))),
    );
    const all = await caller.dashboard.activity({ portfolioId: p.portfolioId, limit: 100 });
    expect(all.items.map((i) => i.type)).toEqual(
      expect.arrayContaining(["treasury.deposit_recorded", "treasury.allocation_settled", "treasury.frozen"]),
    );
  });
});

describe("tenancy", () => {
  it("gives a member of another portfolio NOT_FOUND and shows them none of these events", async () => {
    const outsider = p.caller("outsider");
    for (const attempt of [
      () => outsider.dashboard.overview({ portfolioId: p.portfolioId }),
      () => outsider.dashboard.ventures({ portfolioId: p.portfolioId }),
      () => outsider.dashboard.series({ portfolioId: p.portfolioId }),
      () => outsider.dashboard.activity({ portfolioId: p.portfolioId }),
    ]) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("NOT_FOUND");
    }
    const own = await outsider.dashboard.activity({ portfolioId: p.otherPortfolioId, limit: 100 });
    const ids = new Set([p.a, p.b, p.c]);
    expect(own.items.some((i) => ids.has(i.streamId))).toBe(false);
    expect((await outsider.dashboard.overview({ portfolioId: p.otherPortfolioId })).currencies).toEqual([]);
  });
});
