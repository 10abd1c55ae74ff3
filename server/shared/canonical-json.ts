// Canonical JSON (RFC 8785 for the values we store): object keys sorted by UTF-16 code units,
// no white space, numbers and strings as ECMAScript's JSON.stringify writes them. The same value
// always gives the same bytes, which is what a hash chain and content addressing need.
import { invariant } from "./errors";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      invariant(Number.isFinite(value), "canonical JSON cannot hold NaN or Infinity");
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "bigint":
      // Money is bigint inside and a string of digits on the wire.
      return JSON.stringify(value.toString());
    case "object": {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    default:
      throw new Error(`canonical JSON cannot hold a value of type ${typeof value}`);
  }
}
