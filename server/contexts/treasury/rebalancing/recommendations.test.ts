// The rebalancing rules (ADR 0016), given figures → then assessments and recommendations: burn,
// runway, revenue growth, who gives and who receives, how much, and the edge cases (no spend, no
// revenue, zero burn, floors, frozen, young, sunset, currencies, several targets and sources).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assessVenture,
  defaultRebalancingRules,
  formatPercent,
  recommendRebalancing,
  type VentureFigures,
} from "./recommendations";

/** A venture 200 days old with 30 days of history; every figure can be overridden. */
function venture(id: string, over: Partial<VentureFigures> = {}): VentureFigures {
  return {
    ventureId: id,
    ventureName: id.toUpperCase(),
    currency: "USD",
    stage: "launched",
    frozen: false,
    ageDays: 200,
    budgetAvailableMinor: 0n,
    budgetFloorMinor: 0n,
    spendMinor: 0n,
    spendDays: 30,
    revenueMinor: 0n,
    previousRevenueMinor: 0n,
    incomingPendingMinor: 0n,
    ...over,
  };
}

// A: 10,000.00 budget, spends 30.00 over 30 days (1.00/day): runway 10,000 days, revenue flat.
const rich = venture("a", {
  budgetAvailableMinor: 1_000_000n,
  spendMinor: 3_000n,
  revenueMinor: 5_000n,
  previousRevenueMinor: 5_000n,
});
// B: 300.00 budget, spends 300.00 over 30 days (10.00/day): runway 30 days, revenue doubled.
const growing = venture("b", {
  budgetAvailableMinor: 30_000n,
  spendMinor: 30_000n,
  revenueMinor: 20_000n,
  previousRevenueMinor: 10_000n,
});

describe("assessing one venture", () => {
  it("burn is spend per day, runway is available over burn in whole days, growth in basis points", () => {
    const b = assessVenture(growing);
    expect(b.burnPerDayMinor).toBe(1_000n);
    expect(b.runwayDays).toBe(30);
    expect(b.revenueGrowthBps).toBe(10_000);
    expect(b.revenueTrend).toBe("growing");
    expect(b.role).toBe("target");
    // 90 days at 10.00/day is 900.00; it has 300.00.
    expect(b.neededMinor).toBe(60_000n);
    expect(b.why.join(" ")).toContain("runway 30 days");
    expect(b.why.join(" ")).toContain("+100%");
  });

  it("no spend: zero burn and no runway figure (unbounded), never a target", () => {
    const idle = assessVenture(venture("idle", { budgetAvailableMinor: 50_000n, revenueMinor: 900n }));
    expect(idle.burnPerDayMinor).toBe(0n);
    expect(idle.runwayDays).toBeNull();
    expect(idle.revenueTrend).toBe("new");
    expect(idle.role).toBeNull();
    expect(idle.why.join(" ")).toContain("nothing spent");
  });

  it("no spend and no revenue growth: a source that can give everything above its floor", () => {
    const idle = assessVenture(venture("idle", { budgetAvailableMinor: 50_000n, budgetFloorMinor: 5_000n }));
    expect(idle.role).toBe("source");
    expect(idle.revenueTrend).toBe("none");
    expect(idle.movableMinor).toBe(45_000n);
  });

  it("a source keeps its floor plus sourceKeepRunwayDays of its own burn", () => {
    const a = assessVenture({ ...rich, budgetFloorMinor: 100_000n });
    // 120 days at 1.00/day = 120.00, plus the floor of 1,000.00.
    expect(a.role).toBe("source");
    expect(a.movableMinor).toBe(1_000_000n - 100_000n - 12_000n);
    expect(a.why.join(" ")).toContain("it keeps 1120.00 USD");
  });

  it("a source whose budget does not exceed floor plus reserve gives nothing", () => {
    const poor = assessVenture(
      venture("p", { budgetAvailableMinor: 100_000n, budgetFloorMinor: 100_000n, spendMinor: 0n }),
    );
    expect(poor.role).toBeNull();
    expect(poor.movableMinor).toBe(0n);
    expect(poor.why.join(" ")).toContain("Nothing to give");
  });

  it("a negative floor (an overdraft) never lets a source give budget it does not have", () => {
    const overdraft = assessVenture(
      venture("o", { budgetAvailableMinor: 10_000n, budgetFloorMinor: -50_000n }),
    );
    expect(overdraft.movableMinor).toBe(10_000n);
  });

  it("runway rounds down; a burn under one minor unit a day still counts as spending", () => {
    const slow = assessVenture(venture("s", { budgetAvailableMinor: 100n, spendMinor: 7n, spendDays: 30 }));
    expect(slow.burnPerDayMinor).toBe(0n);
    expect(slow.runwayDays).toBe(428); // 100 × 30 / 7 = 428.57…
  });

  it("an overdrawn budget has a runway of zero, not a negative one", () => {
    const over = assessVenture(venture("x", { budgetAvailableMinor: -500n, spendMinor: 3_000n }));
    expect(over.runwayDays).toBe(0);
  });

  it("a young venture's burn is over the days it has lived, and it is not asked to give", () => {
    const young = assessVenture(
      venture("y", { ageDays: 3, spendDays: 3, spendMinor: 3_000n, budgetAvailableMinor: 1_000_000n }),
    );
    expect(young.burnPerDayMinor).toBe(1_000n);
    expect(young.runwayDays).toBe(1_000);
    expect(young.role).toBeNull();
    expect(young.why.join(" ")).toContain("younger than 30 days");
  });

  it("revenue trends: none, new, flat, declining, and growth below the minimum is not growth", () => {
    const trend = (revenueMinor: bigint, previousRevenueMinor: bigint) =>
      assessVenture(venture("t", { revenueMinor, previousRevenueMinor })).revenueTrend;
    expect(trend(0n, 0n)).toBe("none");
    expect(trend(100n, 0n)).toBe("new");
    expect(trend(100n, 100n)).toBe("flat");
    expect(trend(109n, 100n)).toBe("flat");
    expect(trend(110n, 100n)).toBe("growing");
    expect(trend(50n, 100n)).toBe("declining");
    expect(trend(0n, 100n)).toBe("declining");
  });

  it("a short runway without growing revenue is not topped up; a sunset venture never is", () => {
    const flat = assessVenture({ ...growing, revenueMinor: 10_000n });
    expect(flat.role).toBeNull();
    expect(flat.why.join(" ")).toContain("has not grown by 10%");
    const sunset = assessVenture({ ...growing, stage: "sunset" });
    expect(sunset.role).toBeNull();
    expect(sunset.why.join(" ")).toContain("sunset");
  });

  it("a frozen venture neither gives nor receives", () => {
    expect(assessVenture({ ...rich, frozen: true }).role).toBeNull();
    expect(assessVenture({ ...growing, frozen: true }).role).toBeNull();
  });

  it("formats growth as a signed percentage", () => {
    expect(formatPercent(10_000)).toBe("+100%");
    expect(formatPercent(2_550)).toBe("+25.5%");
    expect(formatPercent(-333)).toBe("-3.3%");
    expect(formatPercent(0)).toBe("±0%");
  });
});

describe("recommending moves", () => {
  it("moves what lifts the target to 90 days from the source, with the figures spelled out", () => {
    const { recommendations } = recommendRebalancing([rich, growing]);
    expect(recommendations).toHaveLength(1);
    const [move] = recommendations;
    expect(move).toMatchObject({
      id: "a:b",
      fromVentureId: "a",
      toVentureId: "b",
      amountMinor: 60_000n,
      currency: "USD",
    });
    expect(move!.summary).toBe(
      "Move 600.00 USD from A (long runway, no revenue growth) to B (short runway, growing revenue).",
    );
    expect(move!.reasons[0]).toContain("A: runway 10000 days");
    expect(move!.reasons[1]).toContain("B: runway 30 days");
    expect(move!.reasons[1]).toContain("revenue 200.00 USD in the last 30 days against 100.00 USD");
    expect(move!.reasons[2]).toContain("B has 900.00 USD (90 days of runway)");
  });

  it("nothing qualifies: no recommendation", () => {
    expect(recommendRebalancing([]).recommendations).toEqual([]);
    expect(recommendRebalancing([rich]).recommendations).toEqual([]);
    expect(recommendRebalancing([growing]).recommendations).toEqual([]);
    // No spend and no revenue anywhere: nobody needs anything.
    expect(
      recommendRebalancing([venture("x", { budgetAvailableMinor: 10_000n }), venture("y")]).recommendations,
    ).toEqual([]);
  });

  it("never more than the source can spare: a poor source gives what it has above floor and reserve", () => {
    const small = { ...rich, budgetAvailableMinor: 20_000n, budgetFloorMinor: 5_000n };
    const { recommendations, ventures } = recommendRebalancing([small, growing]);
    // 200.00 - 50.00 floor - 120.00 reserve = 30.00.
    expect(ventures.find((v) => v.ventureId === "a")!.movableMinor).toBe(3_000n);
    expect(recommendations.map((r) => r.amountMinor)).toEqual([3_000n]);
  });

  it("several sources serve one target, largest spare first; several targets, shortest runway first", () => {
    const a = venture("a", { budgetAvailableMinor: 40_000n });
    const c = venture("c", { budgetAvailableMinor: 25_000n });
    const b = growing; // needs 600.00, runway 30
    const d = venture("d", {
      budgetAvailableMinor: 10_000n,
      spendMinor: 30_000n,
      revenueMinor: 500n,
      previousRevenueMinor: 0n,
    }); // runway 10 days, new revenue: needs 900.00 - 100.00 = 800.00
    const { recommendations } = recommendRebalancing([b, a, d, c]);
    expect(recommendations.map((r) => [r.id, r.amountMinor])).toEqual([
      ["a:d", 40_000n],
      ["c:d", 25_000n],
    ]);
  });

  it("counts transfers awaiting approval as arrived: the same need is not recommended twice", () => {
    const halfway = { ...growing, incomingPendingMinor: 40_000n };
    expect(assessVenture(halfway).neededMinor).toBe(20_000n);
    expect(recommendRebalancing([rich, halfway]).recommendations.map((r) => r.amountMinor)).toEqual([
      20_000n,
    ]);
    const covered = { ...growing, incomingPendingMinor: 60_000n };
    expect(assessVenture(covered).role).toBeNull();
    expect(assessVenture(covered).why.join(" ")).toContain("600.00 USD on its way");
    expect(recommendRebalancing([rich, covered]).recommendations).toEqual([]);
  });

  it("pairs only ventures of the same currency", () => {
    const euro = { ...rich, currency: "EUR" as const };
    expect(recommendRebalancing([euro, growing]).recommendations).toEqual([]);
  });

  it("skips a move below one major unit of the currency", () => {
    // Spends 0.01 a day with 0.10 left: it needs 0.80 for 90 days, less than 1.00.
    const tiny = { ...growing, budgetAvailableMinor: 10n, spendMinor: 30n };
    expect(assessVenture(tiny)).toMatchObject({ role: "target", neededMinor: 80n });
    expect(recommendRebalancing([rich, tiny]).recommendations).toEqual([]);
    const crumbs = venture("a", { budgetAvailableMinor: 99n });
    expect(recommendRebalancing([crumbs, growing]).recommendations).toEqual([]);
  });

  it("is deterministic: the same figures in any order give the same recommendations", () => {
    const a = venture("a", { budgetAvailableMinor: 40_000n });
    const c = venture("c", { budgetAvailableMinor: 40_000n });
    const forward = recommendRebalancing([a, c, growing]).recommendations;
    const backward = recommendRebalancing([growing, c, a]).recommendations;
    expect(backward).toEqual(forward);
    expect(forward.map((r) => r.id)).toEqual(["a:b", "c:b"]);
  });

  it("property: no source gives more than it can spare, no target gets more than it needs", () => {
    const figures = fc.record({
      budgetAvailableMinor: fc.bigInt({ min: -10_000n, max: 10_000_000n }),
      budgetFloorMinor: fc.bigInt({ min: -10_000n, max: 100_000n }),
      spendMinor: fc.bigInt({ min: 0n, max: 1_000_000n }),
      spendDays: fc.integer({ min: 1, max: 30 }),
      revenueMinor: fc.bigInt({ min: 0n, max: 1_000_000n }),
      previousRevenueMinor: fc.bigInt({ min: 0n, max: 1_000_000n }),
      incomingPendingMinor: fc.bigInt({ min: 0n, max: 100_000n }),
      ageDays: fc.integer({ min: 0, max: 400 }),
      frozen: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(figures, { maxLength: 8 }), (list) => {
        const ventures = list.map((f, i) => venture(`v${i}`, f));
        const { recommendations, ventures: assessed } = recommendRebalancing(ventures);
        const given = new Map<string, bigint>();
        const received = new Map<string, bigint>();
        for (const r of recommendations) {
          expect(r.amountMinor).toBeGreaterThanOrEqual(100n);
          expect(r.fromVentureId).not.toBe(r.toVentureId);
          given.set(r.fromVentureId, (given.get(r.fromVentureId) ?? 0n) + r.amountMinor);
          received.set(r.toVentureId, (received.get(r.toVentureId) ?? 0n) + r.amountMinor);
        }
        for (const v of assessed) {
          const out = given.get(v.ventureId) ?? 0n;
          const floor = v.budgetFloorMinor > 0n ? v.budgetFloorMinor : 0n;
          if (out > 0n) {
            expect(v.role).toBe("source");
            expect(v.frozen).toBe(false);
            expect(out).toBeLessThanOrEqual(v.budgetAvailableMinor - floor);
          }
          const got = received.get(v.ventureId) ?? 0n;
          if (got > 0n) {
            expect(v.role).toBe("target");
            expect(got).toBeLessThanOrEqual(v.neededMinor);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the default rules are the ones the ADR states", () => {
    expect(defaultRebalancingRules).toEqual({
      windowDays: 30,
      shortRunwayDays: 60,
      longRunwayDays: 180,
      targetRunwayDays: 90,
      sourceKeepRunwayDays: 120,
      minGrowthPercent: 10,
      minSourceAgeDays: 30,
    });
  });
});
