// Validation of a budget transfer request: every bad field is named, good input is normalised.
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { parseTransferInput } from "./transfer-input";

const good = {
  portfolioId: "pf_1",
  fromVentureId: "ven_a",
  toVentureId: "ven_b",
  amountMinor: "60000",
  currency: "USD",
  reason: "  Growing revenue, short runway  ",
};

function fieldsOf(raw: Record<string, unknown>): Record<string, string> {
  try {
    parseTransferInput(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("BAD_REQUEST");
    return (error as AppError).details.fields ?? {};
  }
  throw new Error("expected a BAD_REQUEST");
}

describe("parseTransferInput", () => {
  it("accepts a transfer: bigint amount, trimmed reason, no key, a week to decide", () => {
    expect(parseTransferInput(good)).toEqual({
      portfolioId: "pf_1",
      fromVentureId: "ven_a",
      toVentureId: "ven_b",
      amountMinor: 60_000n,
      currency: "USD",
      reason: "Growing revenue, short runway",
      idempotencyKey: null,
      expiresInMinutes: 7 * 24 * 60,
    });
  });

  it("refuses the same venture on both sides, naming toVentureId", () => {
    expect(fieldsOf({ ...good, toVentureId: "ven_a" })).toEqual({
      toVentureId: "must be another venture than fromVentureId",
    });
  });

  it("refuses amounts that are not a positive integer of minor units", () => {
    for (const amountMinor of ["0", "-5", "12.5", 12, "", "1e3", undefined, "10000000000000001"]) {
      expect(Object.keys(fieldsOf({ ...good, amountMinor }))).toEqual(["amountMinor"]);
    }
  });

  it("names every bad field at once, unknown fields included", () => {
    expect(
      Object.keys(
        fieldsOf({
          portfolioId: "",
          fromVentureId: "bad id!",
          toVentureId: 3,
          amountMinor: "0",
          currency: "usd",
          reason: "x",
          idempotencyKey: "with space",
          expiresInMinutes: 0,
          surprise: true,
        }),
      ).sort(),
    ).toEqual([
      "amountMinor",
      "currency",
      "expiresInMinutes",
      "fromVentureId",
      "idempotencyKey",
      "portfolioId",
      "reason",
      "surprise",
      "toVentureId",
    ]);
  });

  it("refuses XXX, which counts things rather than money", () => {
    expect(Object.keys(fieldsOf({ ...good, currency: "XXX" }))).toEqual(["currency"]);
  });
});
