import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccountLimits } from "./accounts";
import {
  availableMinor,
  type Balances,
  floorBreach,
  floorBreachError,
  headroomMinor,
  postedMinor,
  withinLimits,
  zeroBalances,
} from "./limits";

const budget: AccountLimits = {
  debitsMustNotExceedCredits: false,
  creditsMustNotExceedDebits: true,
  floorMinor: 0n,
};
const balances = (b: Partial<Balances>): Balances => ({ ...zeroBalances, ...b });

describe("flags and floors", () => {
  it("counts amounts held against an account, never amounts held in its favour", () => {
    const b = balances({
      debitsPostedMinor: 1000n,
      creditsPostedMinor: 200n,
      creditsPendingMinor: 300n,
      debitsPendingMinor: 50n,
    });
    expect(postedMinor("asset", b)).toBe(800n);
    expect(availableMinor("asset", b)).toBe(500n);
    expect(headroomMinor(budget, b)).toBe(500n);
    expect(postedMinor("revenue", b)).toBe(-800n);
  });

  it("names the account and the shortfall when a hold would overdraw a budget", () => {
    const before = balances({ debitsPostedMinor: 1000n });
    const after = balances({ debitsPostedMinor: 1000n, creditsPendingMinor: 1500n });
    const breach = floorBreach({ id: "ven_1:budget:USD", currency: "USD", limits: budget }, before, after);
    expect(breach).toEqual({
      accountId: "ven_1:budget:USD",
      currency: "USD",
      floorMinor: 0n,
      availableMinor: 1000n,
      changeMinor: -1500n,
      shortfallMinor: 500n,
    });
    const error = floorBreachError(breach!);
    expect(error.code).toBe("UNPROCESSABLE");
    expect(error.message).toContain("ven_1:budget:USD");
    expect(error.message).toContain("short by 5.00 USD");
  });

  it("lets a negative floor act as an overdraft allowance", () => {
    const overdraft = { ...budget, floorMinor: -500n };
    expect(withinLimits(overdraft, balances({ creditsPostedMinor: 500n }))).toBe(true);
    expect(withinLimits(overdraft, balances({ creditsPostedMinor: 501n }))).toBe(false);
  });

  it("never constrains an account without a flag", () => {
    const free: AccountLimits = {
      debitsMustNotExceedCredits: false,
      creditsMustNotExceedDebits: false,
      floorMinor: 0n,
    };
    expect(headroomMinor(free, balances({ creditsPostedMinor: 10n ** 15n }))).toBeNull();
    expect(withinLimits(free, balances({ creditsPostedMinor: 10n ** 15n }))).toBe(true);
  });

  it("reports a breach exactly when the result is outside the limits", () => {
    const amount = fc.bigInt({ min: 0n, max: 10n ** 12n });
    const arbBalances = fc.record({
      debitsPostedMinor: amount,
      creditsPostedMinor: amount,
      debitsPendingMinor: amount,
      creditsPendingMinor: amount,
    });
    const arbLimits = fc.record({
      debitsMustNotExceedCredits: fc.boolean(),
      creditsMustNotExceedDebits: fc.constant(false),
      floorMinor: fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }),
    });
    fc.assert(
      fc.property(arbLimits, arbBalances, arbBalances, (limits, before, after) => {
        const breach = floorBreach({ id: "a", currency: "USD", limits }, before, after);
        expect(breach === null).toBe((headroomMinor(limits, after) ?? 0n) >= 0n);
        if (breach) expect(breach.shortfallMinor).toBeGreaterThan(0n);
      }),
    );
  });
});
