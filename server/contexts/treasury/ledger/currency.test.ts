import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { currencyScale, formatMinor, int64Max, isCurrency, isInt64, parseMinor } from "./currency";

describe("currencies", () => {
  it("knows each currency's minor-unit scale", () => {
    expect(currencyScale("USD")).toBe(2);
    expect(currencyScale("EUR")).toBe(2);
    expect(currencyScale("JPY")).toBe(0);
    expect(currencyScale("KWD")).toBe(3);
    expect(isCurrency("usd")).toBe(false);
    expect(isCurrency("XYZ")).toBe(false);
  });

  it("formats minor units exactly, without floating point", () => {
    expect(formatMinor(123456n, "USD")).toBe("1234.56 USD");
    expect(formatMinor(-5n, "EUR")).toBe("-0.05 EUR");
    expect(formatMinor(0n, "USD")).toBe("0.00 USD");
    expect(formatMinor(1200n, "JPY")).toBe("1200 JPY");
    expect(formatMinor(1n, "KWD")).toBe("0.001 KWD");
    expect(formatMinor(int64Max, "USD")).toBe("92233720368547758.07 USD");
  });

  it("formats and parses every 64-bit amount back to the same digits", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -int64Max, max: int64Max }), (amount) => {
        const text = formatMinor(amount, "USD").replace(" USD", "").replace(".", "");
        expect(BigInt(text)).toBe(amount);
        expect(parseMinor(amount.toString())).toBe(amount);
      }),
    );
  });

  it("bounds amounts to what BIGINT holds", () => {
    expect(isInt64(int64Max)).toBe(true);
    expect(isInt64(int64Max + 1n)).toBe(false);
    expect(() => parseMinor("12.5")).toThrow(/Invariant/);
  });
});
