// The demo's plan, pure: deterministic, about as many events as asked for, nothing dated after
// now, and money that never runs out in the history (the ledger would refuse it).
import { describe, expect, it } from "vitest";
import { isAppError } from "@/server/shared/errors";
import { type DemoPlan, type DemoScale, demoVentureNames, fullDemoScale, planDemo, spendOf } from "./plan";

const now = new Date("2026-11-28T15:42:00Z");
const full = planDemo({ scale: fullDemoScale, now });

function money(plan: DemoPlan) {
  return plan.ventures.map((venture) => {
    let budget = 0n;
    let lowest = 0n;
    venture.days.forEach((day) => {
      budget += day.allocationMinor - spendOf(day);
      if (budget < lowest) lowest = budget;
    });
    return { name: venture.name, budget, lowest };
  });
}

describe("planDemo", () => {
  it("plans the full demo: six ventures, 90 days ending today, about 100,000 events", () => {
    const plan = full;
    expect(plan.ventures.map((v) => v.name)).toEqual(demoVentureNames);
    expect(plan.dayStarts).toHaveLength(90);
    expect(plan.dayStarts.at(-1)!.toISOString()).toBe("2026-11-28T00:00:00.000Z");
    expect(plan.expectedEvents).toBeGreaterThan(95_000);
    expect(plan.expectedEvents).toBeLessThan(105_000);
    // Today's shifts have all ended before now; earlier days have all four.
    expect(plan.slots.at(-1)!.every((at) => at.getTime() + 10 * 60_000 <= now.getTime())).toBe(true);
    expect(plan.slots.at(-1)).toHaveLength(3);
    expect(plan.slots[0]).toHaveLength(4);
  });

  it("is deterministic for a scale, a day and a seed", () => {
    const a = planDemo({ scale: { ventures: 3, days: 20, events: 5_000 }, now });
    const b = planDemo({ scale: { ventures: 3, days: 20, events: 5_000 }, now });
    expect(JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))).toBe(
      JSON.stringify(b, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)),
    );
    const c = planDemo({ scale: { ventures: 3, days: 20, events: 5_000 }, now, seed: 7 });
    expect(c.expectedEvents).not.toBe(a.expectedEvents);
  });

  it("funds every budget before it is spent, and leaves the burning venture little runway", () => {
    const plan = full;
    const books = money(plan);
    for (const book of books) expect(book.lowest, book.name).toBeGreaterThanOrEqual(0n);
    // Robot Tutors burns without revenue: its last allocation covers only a few more days.
    const robots = plan.ventures.find((v) => v.name === "Robot Tutors")!;
    const recent = robots.days.slice(-14).reduce((sum, d) => sum + spendOf(d), 0n) / 14n;
    const left = books.find((b) => b.name === "Robot Tutors")!.budget;
    expect(left).toBeGreaterThan(0n);
    expect(left / recent).toBeLessThan(14n);
    // The treasury never hands out more than it received, at any day.
    let cash = 0n;
    plan.dayStarts.forEach((_, day) => {
      for (const deposit of plan.deposits) if (deposit.day === day) cash += deposit.amountMinor;
      for (const venture of plan.ventures) cash -= venture.days[day]!.allocationMinor;
      expect(cash, `treasury cash on day ${day}`).toBeGreaterThanOrEqual(0n);
    });
    expect(cash).toBeGreaterThan(500_000n); // room for the live run's budget
  });

  it("tells different stories: revenue growing, none at all, falling", () => {
    const plan = full;
    const revenue = (name: string, from: number, to: number) =>
      plan.ventures
        .find((v) => v.name === name)!
        .days.slice(from, to)
        .reduce((sum, d) => sum + d.sales.reduce((s, sale) => s + sale.amountMinor, 0n), 0n);
    expect(revenue("Solar Kits for Schools", 75, 90)).toBeGreaterThan(
      revenue("Solar Kits for Schools", 35, 50) * 3n,
    );
    expect(revenue("Robot Tutors", 0, 90)).toBe(0n);
    expect(revenue("Pet Portraits", 75, 90)).toBeLessThan(revenue("Pet Portraits", 35, 50));
    // Escalations wait in the founder's inbox on the last days, and only there.
    const escalated = plan.ventures.flatMap((v) =>
      v.days.flatMap((d, day) => d.tasks.filter((t) => t.outcome === "escalated").map(() => day)),
    );
    expect(escalated.length).toBeGreaterThan(0);
    expect(Math.min(...escalated)).toBeGreaterThanOrEqual(87);
  });

  it("refuses a scale it cannot plan, naming each field", () => {
    const refusal = (scale: DemoScale) => {
      try {
        planDemo({ scale, now });
      } catch (error) {
        return isAppError(error) ? { code: error.code, fields: error.details.fields } : error;
      }
      return null;
    };
    expect(refusal({ ventures: 7, days: 90, events: 1_000 })).toEqual({
      code: "BAD_REQUEST",
      fields: { ventures: "1 to 6" },
    });
    expect(refusal({ ventures: 0, days: 1, events: 10 })).toEqual({
      code: "BAD_REQUEST",
      fields: { ventures: "1 to 6", days: "2 to 366", events: "100 to 10,000,000" },
    });
  });
});
