// Pure parts of the reports: periods, burn and runway arithmetic, CSV.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { burnFigures, effectiveDays, floorDiv } from "./burn";
import { decimal, toCsv } from "./csv";
import { addDays, daysInclusive, eachDay, isDay, resolvePeriod, resolveWindow } from "./period";

const now = new Date("2026-11-28T15:00:00Z");

function fields(attempt: () => unknown): Record<string, string> {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details.fields ?? {};
  }
  throw new Error("expected a BAD_REQUEST");
}

describe("periods", () => {
  it("defaults to the last N days up to today, both ends included", () => {
    expect(resolvePeriod({}, now, { defaultDays: 30, maxDays: 100 })).toEqual({
      from: "2026-10-30",
      to: "2026-11-28",
      days: 30,
    });
    expect(resolveWindow(7, now)).toEqual({ from: "2026-11-22", to: "2026-11-28", days: 7 });
  });

  it("names the field of a bad period", () => {
    expect(
      fields(() => resolvePeriod({ from: "2026-02-30" }, now, { defaultDays: 1, maxDays: 9 })),
    ).toHaveProperty("from");
    expect(
      fields(() =>
        resolvePeriod({ from: "2026-11-02", to: "2026-11-01" }, now, { defaultDays: 1, maxDays: 9 }),
      ),
    ).toHaveProperty("to");
    expect(
      fields(() =>
        resolvePeriod({ from: "2026-01-01", to: "2026-11-01" }, now, { defaultDays: 1, maxDays: 9 }),
      ),
    ).toHaveProperty("from");
    expect(fields(() => resolveWindow(0, now))).toHaveProperty("windowDays");
    expect(fields(() => resolveWindow(1.5, now))).toHaveProperty("windowDays");
  });

  it("walks days across month and year ends", () => {
    expect(isDay("2024-02-29")).toBe(true);
    expect(isDay("2025-02-29")).toBe(false);
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
    expect(daysInclusive("2024-02-28", "2024-03-01")).toBe(3);
    expect(eachDay("2025-12-30", "2026-01-02")).toEqual([
      "2025-12-30",
      "2025-12-31",
      "2026-01-01",
      "2026-01-02",
    ]);
  });
});

describe("burn and runway", () => {
  it("divides net spend by the days and the available money by the burn", () => {
    const f = burnFigures({
      days: 30,
      revenueMinor: 30_000n,
      expensesMinor: 330_000n,
      availableMinor: 1_000_000n,
    });
    expect(f.netSpendMinor).toBe(300_000n);
    expect(f.netBurnPerDayMinor).toBe(10_000n);
    expect(f.grossBurnPerDayMinor).toBe(11_000n);
    expect(f.runwayDays).toBe(100);
  });

  it("has no runway figure when the venture earns more than it spends", () => {
    const f = burnFigures({ days: 10, revenueMinor: 5_000n, expensesMinor: 1_000n, availableMinor: 10n });
    expect(f.netBurnPerDayMinor).toBe(-400n);
    expect(f.runwayDays).toBeNull();
  });

  it("rounds down exactly, whatever the amounts", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (a, b) => {
          const q = floorDiv(a, b);
          expect(q * b <= a && a < (q + 1n) * b).toBe(true);
        },
      ),
    );
  });

  it("counts only the days a young venture existed", () => {
    const from = Date.parse("2026-11-01T00:00:00Z");
    expect(effectiveDays(30, from, Date.parse("2026-10-01T00:00:00Z"))).toBe(30);
    expect(effectiveDays(30, from, Date.parse("2026-11-21T13:00:00Z"))).toBe(10);
    expect(effectiveDays(30, from, Date.parse("2026-12-30T00:00:00Z"))).toBe(1);
  });
});

describe("csv", () => {
  it("writes exact decimals for each currency's scale", () => {
    expect(decimal(123_456n, "USD")).toEqual({ number: "1234.56" });
    expect(decimal(-5n, "EUR")).toEqual({ number: "-0.05" });
    expect(decimal(1_200n, "JPY")).toEqual({ number: "1200" });
    expect(decimal(1n, "KWD")).toEqual({ number: "0.001" });
  });

  it("quotes separators and defuses formulas in text, not in numbers", () => {
    const csv = toCsv(
      ["name", "amount"],
      [
        ['Acme, "Robots"', decimal(-100n, "USD")],
        ["=HYPERLINK(1)", 3],
        ["line\nbreak", null],
      ],
    );
    expect(csv).toBe('name,amount\r\n"Acme, ""Robots""",-1.00\r\n\'=HYPERLINK(1),3\r\n"line\nbreak",\r\n');
  });
});
