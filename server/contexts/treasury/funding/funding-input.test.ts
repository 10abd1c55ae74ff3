// Deposit and allocation input: every bad field is named, good input is normalised.
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { maxFundingMinor, parseAllocationInput, parseDepositInput } from "./funding-input";

const deposit = { portfolioId: "pf_1", amountMinor: "150000", currency: "USD", source: "Seed round" };
const allocation = {
  portfolioId: "pf_1",
  ventureId: "ven_1",
  amountMinor: "5000",
  currency: "EUR",
  reason: "Ads",
};

function badFields(attempt: () => unknown): Record<string, string> {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("BAD_REQUEST");
    return (error as AppError).details.fields ?? {};
  }
  throw new Error("expected BAD_REQUEST");
}

describe("deposit input", () => {
  it("parses a good deposit, trims the source and gives it a key when none was sent", () => {
    const parsed = parseDepositInput({ ...deposit, source: "  Seed round  " });
    expect(parsed).toMatchObject({ amountMinor: 150_000n, currency: "USD", source: "Seed round" });
    expect(parsed.idempotencyKey).toMatch(/^auto-/);
    expect(parseDepositInput({ ...deposit, idempotencyKey: "k-1" }).idempotencyKey).toBe("k-1");
  });

  it.each([
    ["negative", { amountMinor: "-5" }, "amountMinor"],
    ["zero", { amountMinor: "0" }, "amountMinor"],
    ["fractional", { amountMinor: "12.5" }, "amountMinor"],
    ["a JSON number", { amountMinor: 12 }, "amountMinor"],
    ["too large", { amountMinor: (maxFundingMinor + 1n).toString() }, "amountMinor"],
    ["beyond 64 bits", { amountMinor: "99999999999999999999999" }, "amountMinor"],
    ["lower-case currency", { currency: "usd" }, "currency"],
    ["unknown currency", { currency: "ZZZ" }, "currency"],
    ["the count pseudo-currency", { currency: "XXX" }, "currency"],
    ["no source", { source: " " }, "source"],
    ["a bad key", { idempotencyKey: "a b" }, "idempotencyKey"],
    ["an unknown field", { ventureId: "ven_1" }, "ventureId"],
  ])("refuses %s, naming the field", (_what, change, field) => {
    expect(badFields(() => parseDepositInput({ ...deposit, ...change }))).toHaveProperty([field]);
  });

  it("names every bad field at once", () => {
    expect(Object.keys(badFields(() => parseDepositInput({ amountMinor: "x", extra: 1 })))).toEqual(
      expect.arrayContaining(["portfolioId", "amountMinor", "currency", "source", "extra"]),
    );
  });
});

describe("allocation input", () => {
  it("parses a good allocation with a default expiry and no key", () => {
    expect(parseAllocationInput(allocation)).toMatchObject({
      ventureId: "ven_1",
      amountMinor: 5_000n,
      currency: "EUR",
      reason: "Ads",
      idempotencyKey: null,
      expiresInMinutes: 7 * 24 * 60,
    });
  });

  it.each([
    ["negative", { amountMinor: "-1" }, "amountMinor"],
    ["zero", { amountMinor: "0" }, "amountMinor"],
    ["fractional", { amountMinor: "0.5" }, "amountMinor"],
    ["too large", { amountMinor: "1000000000000001" }, "amountMinor"],
    ["wrong currency", { currency: "Dollars" }, "currency"],
    ["a short reason", { reason: "x" }, "reason"],
    ["a bad venture id", { ventureId: "ven 1" }, "ventureId"],
    ["a bad expiry", { expiresInMinutes: 0 }, "expiresInMinutes"],
    ["an unknown field", { counterparty: "acme" }, "counterparty"],
  ])("refuses %s, naming the field", (_what, change, field) => {
    expect(badFields(() => parseAllocationInput({ ...allocation, ...change }))).toHaveProperty([field]);
  });
});
