import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";

/** The definition, written plainly: what canonicalJson must always produce, byte for byte. */
function reference(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("canonicalJson", () => {
  it("sorts keys by UTF-16 code units, integer-like keys included, and drops undefined members", () => {
    const value = {
      b: 1,
      a: [true, null, "x"],
      "10": 0,
      "9": 0,
      é: 1,
      Z: 2,
      "\uD83D\uDE00": 3,
      gone: undefined,
    };
    expect(canonicalJson(value)).toBe('{"10":0,"9":0,"Z":2,"a":[true,null,"x"],"b":1,"é":1,"😀":3}');
  });

  it("writes bigints as strings of digits and dates as ISO strings", () => {
    expect(canonicalJson({ amountMinor: 12_345_678_901_234_567_890n, at: new Date(0) })).toBe(
      '{"amountMinor":"12345678901234567890","at":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it("refuses values JSON cannot hold", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson([undefined])).toThrow(/undefined/);
  });

  it("gives the same bytes as the definition for any JSON value, and parses back to it (property)", () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom("0", "1", "10", "9", "-1", "01", "__proto_", "é", "😀"),
    );
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.string({ unit: "binary" }),
        fc.array(tie("json")),
        fc.dictionary(key, tie("json")),
      ),
    })).json;
    fc.assert(
      fc.property(value, (v) => {
        const text = canonicalJson(v);
        expect(text).toBe(reference(v));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
