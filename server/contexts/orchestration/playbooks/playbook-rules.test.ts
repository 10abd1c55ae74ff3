// The scale-up playbook's pure rules (ADR 0017): validation naming every bad field, the threshold
// (reached at or above, never below), fire-once, the trailing window, and how runs read.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import {
  budgetIncreaseReason,
  decideFire,
  describeRun,
  formatPlaybookAmount,
  parsePlaybookInput,
  raisedConcurrency,
  runStatusAtFiring,
  samePlaybook,
  trailingWindow,
} from "./playbook-rules";

const valid = {
  revenueThresholdMinor: "150000",
  budgetIncreaseMinor: "600000",
  concurrencyTarget: 6,
};

function fieldsOf(raw: Record<string, unknown>): Record<string, string> {
  try {
    parsePlaybookInput(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("BAD_REQUEST");
    return (error as AppError).details.fields ?? {};
  }
  throw new Error("expected the input to be refused");
}

const armed = {
  enabled: true,
  firedThisVersion: false,
  runWaiting: false,
  paused: false,
  revenueThresholdMinor: 150_000n,
};

describe("parsePlaybookInput", () => {
  it("reads a valid configuration with its defaults (enabled, 30 days, the venture's currency)", () => {
    expect(parsePlaybookInput(valid)).toEqual({
      enabled: true,
      currency: null,
      revenueThresholdMinor: 150_000n,
      windowDays: 30,
      budgetIncreaseMinor: 600_000n,
      concurrencyTarget: 6,
    });
    expect(
      parsePlaybookInput({
        ...valid,
        enabled: false,
        currency: "EUR",
        windowDays: 7,
        budgetIncreaseMinor: 5n,
      }),
    ).toMatchObject({ enabled: false, currency: "EUR", windowDays: 7, budgetIncreaseMinor: 5n });
  });

  it("names every bad field at once", () => {
    expect(
      fieldsOf({
        revenueThresholdMinor: 1500,
        budgetIncreaseMinor: "-5",
        concurrencyTarget: 0,
        windowDays: 400,
        currency: "usd",
        enabled: "yes",
        extra: 1,
      }),
    ).toEqual({
      revenueThresholdMinor: "must be a string of digits (minor units), not a JSON number",
      budgetIncreaseMinor: "must be a positive integer of minor units",
      concurrencyTarget: "an integer from 1 to 1000",
      windowDays: "an integer number of days from 1 to 366",
      currency: "an ISO 4217 code in capitals (e.g. USD)",
      enabled: "true or false",
      extra: "unknown field",
    });
    expect(Object.keys(fieldsOf({}))).toEqual([
      "revenueThresholdMinor",
      "budgetIncreaseMinor",
      "concurrencyTarget",
    ]);
    expect(fieldsOf({ ...valid, revenueThresholdMinor: "12.50" }).revenueThresholdMinor).toMatch(/digits/);
    expect(fieldsOf({ ...valid, budgetIncreaseMinor: "0" }).budgetIncreaseMinor).toMatch(/positive/);
    expect(fieldsOf({ ...valid, budgetIncreaseMinor: "1000000000000001" }).budgetIncreaseMinor).toMatch(
      /at most/,
    );
    expect(fieldsOf({ ...valid, concurrencyTarget: 2.5 }).concurrencyTarget).toMatch(/integer/);
  });
});

describe("the threshold (decideFire)", () => {
  it("fires at or above the threshold and never below it", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        (revenue, threshold) => {
          const decision = decideFire({
            ...armed,
            trailingRevenueMinor: revenue,
            revenueThresholdMinor: threshold,
          });
          expect(decision.fire).toBe(revenue >= threshold);
        },
      ),
    );
    expect(decideFire({ ...armed, trailingRevenueMinor: 149_999n })).toEqual({
      fire: false,
      reason: "below_threshold",
    });
    expect(decideFire({ ...armed, trailingRevenueMinor: 150_000n })).toEqual({ fire: true });
  });

  it("fires a version once, never while disabled, paused or while another run waits", () => {
    const passed = { ...armed, trailingRevenueMinor: 900_000n };
    expect(decideFire({ ...passed, firedThisVersion: true })).toEqual({
      fire: false,
      reason: "already_fired",
    });
    expect(decideFire({ ...passed, enabled: false })).toEqual({ fire: false, reason: "disabled" });
    expect(decideFire({ ...passed, paused: true })).toEqual({ fire: false, reason: "paused" });
    expect(decideFire({ ...passed, runWaiting: true })).toEqual({ fire: false, reason: "run_waiting" });
  });
});

describe("samePlaybook", () => {
  it("sees any changed setting, and nothing else", () => {
    const a = { ...parsePlaybookInput(valid), currency: "USD" };
    expect(samePlaybook(a, { ...a })).toBe(true);
    expect(samePlaybook(a, { ...a, enabled: false })).toBe(false);
    expect(samePlaybook(a, { ...a, revenueThresholdMinor: 150_001n })).toBe(false);
    expect(samePlaybook(a, { ...a, windowDays: 31 })).toBe(false);
    expect(samePlaybook(a, { ...a, budgetIncreaseMinor: 1n })).toBe(false);
    expect(samePlaybook(a, { ...a, concurrencyTarget: 7 })).toBe(false);
  });
});

describe("trailingWindow", () => {
  it("is windowDays whole UTC days ending today", () => {
    expect(trailingWindow(new Date("2026-11-29T23:59:59Z"), 30)).toEqual({
      from: "2026-10-31",
      to: "2026-11-29",
    });
    expect(trailingWindow(new Date("2026-11-29T00:00:00Z"), 1)).toEqual({
      from: "2026-11-29",
      to: "2026-11-29",
    });
    expect(trailingWindow(new Date("2024-03-01T12:00:00Z"), 2)).toEqual({
      from: "2024-02-29",
      to: "2024-03-01",
    });
  });
});

describe("runs", () => {
  it("start waiting for approvals, approved, or denied from the allocation's first decision", () => {
    expect(runStatusAtFiring("pending_approval")).toBe("waiting_approval");
    expect(runStatusAtFiring("settled")).toBe("approved");
    expect(runStatusAtFiring("approved")).toBe("approved");
    expect(runStatusAtFiring("denied")).toBe("denied");
  });

  it("never lower the venture's concurrency", () => {
    expect(raisedConcurrency(2, 6)).toEqual({ after: 6, changed: true });
    expect(raisedConcurrency(8, 6)).toEqual({ after: 8, changed: false });
    expect(raisedConcurrency(6, 6)).toEqual({ after: 6, changed: false });
  });

  it("read as a person would say them", () => {
    const base = { approvalsRequired: 2, concurrencyBefore: 2, concurrencyAfter: null, reason: null };
    expect(describeRun({ ...base, status: "waiting_approval", approvalsGiven: 1 })).toBe(
      "Waiting for approvals: 1 of 2",
    );
    expect(
      describeRun({ ...base, status: "concurrency_raised", approvalsGiven: 2, concurrencyAfter: 6 }),
    ).toBe("Concurrency raised 2 → 6");
    expect(describeRun({ ...base, status: "denied", approvalsGiven: 0, reason: "Too early" })).toBe(
      "Denied: concurrency unchanged (Too early)",
    );
    expect(describeRun({ ...base, status: "expired", approvalsGiven: 1 })).toMatch(/unchanged/);
  });

  it("explain the budget increase to the finance controllers in exact amounts", () => {
    expect(formatPlaybookAmount(123_456_789n, "USD")).toBe("1,234,567.89 USD");
    expect(formatPlaybookAmount(5n, "USD")).toBe("0.05 USD");
    expect(formatPlaybookAmount(1500n, "JPY")).toBe("1,500 JPY");
    const reason = budgetIncreaseReason({
      playbookVersion: 3,
      trailingRevenueMinor: 160_000n,
      revenueThresholdMinor: 150_000n,
      windowDays: 30,
      currency: "USD",
      concurrencyBefore: 2,
      concurrencyTarget: 6,
    });
    expect(reason).toContain("1,600.00 USD");
    expect(reason).toContain("1,500.00 USD");
    expect(reason).toContain("2 → 6");
    expect(reason.length).toBeLessThanOrEqual(500);
  });
});
