import { describe, expect, it } from "vitest";
import { burnBaselineWindows, burnSpike, velocitySpike } from "./anomaly-rules";
import { simulatedFailure } from "./sandbox-rail";

const velocity = { windowSeconds: 60, maxIntents: 5, maxAmountMinor: 10_000n };
const burn = { windowSeconds: 3_600, factor: 5, minMinor: 1_000n };

describe("velocitySpike", () => {
  it("is quiet at the limits and names the count or the amount beyond them", () => {
    expect(velocitySpike(velocity, [{ currency: "USD", count: 5, amountMinor: 10_000n }])).toBeNull();
    expect(
      velocitySpike(velocity, [
        { currency: "USD", count: 3, amountMinor: 10n },
        { currency: "EUR", count: 3, amountMinor: 10n },
      ]),
    ).toMatch(/^6 money intents in 60 s/);
    expect(velocitySpike(velocity, [{ currency: "USD", count: 1, amountMinor: 10_001n }])).toMatch(
      /10001 USD/,
    );
  });
});

describe("burnSpike", () => {
  it("needs the minimum and more than factor x the average window", () => {
    const average = 1_000n;
    const baselineMinor = average * BigInt(burnBaselineWindows);
    expect(burnSpike(burn, { currency: "USD", recentMinor: 999n, baselineMinor: 0n })).toBeNull();
    expect(burnSpike(burn, { currency: "USD", recentMinor: 5_000n, baselineMinor })).toBeNull();
    expect(burnSpike(burn, { currency: "USD", recentMinor: 5_001n, baselineMinor })).toMatch(
      /more than 5x the usual 1000/,
    );
    expect(burnSpike(burn, { currency: "USD", recentMinor: 1_000n, baselineMinor: 0n })).not.toBeNull();
  });
});

describe("the sandbox rail's failure simulation", () => {
  it("fails listed counterparties and a stable share of the rest", () => {
    const settings = { settleMs: 0, failCounterparties: ["bad-bank"], failureRate: 0.25 };
    expect(simulatedFailure(settings, { idempotencyKey: "mi_1", counterparty: "bad-bank" })).toMatch(
      /bad-bank/,
    );
    const keys = Array.from({ length: 2_000 }, (_, i) => `mi_${i}`);
    const failed = keys.filter((k) =>
      simulatedFailure(settings, { idempotencyKey: k, counterparty: "acme" }),
    );
    expect(failed.length).toBeGreaterThan(400);
    expect(failed.length).toBeLessThan(600);
    // The same key always gets the same answer, so a retried submit agrees with the first.
    expect(
      keys.filter((k) => simulatedFailure(settings, { idempotencyKey: k, counterparty: "acme" })),
    ).toEqual(failed);
    expect(
      simulatedFailure({ ...settings, failureRate: 0 }, { idempotencyKey: "mi_1", counterparty: "acme" }),
    ).toBeNull();
  });
});
