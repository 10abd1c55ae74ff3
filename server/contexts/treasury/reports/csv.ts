// CSV for the report exports, pure (RFC 4180: comma separated, CRLF line ends, fields quoted when
// they hold a comma, quote or line break). Amounts are written in major units with the currency's
// exact number of decimals ("1234.56"), computed from the bigint, never through a float.
// Text that a spreadsheet would run as a formula (starting with = + - @ or a tab) is prefixed with
// an apostrophe: venture names and sources are user input. Numbers are written as numbers.
import { type Currency, currencyScale } from "../ledger/currency";

export type CsvCell = string | number | bigint | null | undefined;

/** A number cell, kept apart from text so a negative amount is not mistaken for a formula. */
export type CsvNumber = { number: string };

export function decimal(amountMinor: bigint, currency: Currency): CsvNumber {
  const scale = currencyScale(currency);
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString();
  if (scale === 0) return { number: `${negative ? "-" : ""}${digits}` };
  const padded = digits.padStart(scale + 1, "0");
  return { number: `${negative ? "-" : ""}${padded.slice(0, -scale)}.${padded.slice(-scale)}` };
}

function quoted(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function cell(value: CsvCell | CsvNumber): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return value.number;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return quoted(text);
}

export function toCsv(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<CsvCell | CsvNumber>>,
): string {
  return [header.map((h) => cell(h)), ...rows.map((row) => row.map(cell))]
    .map((cells) => cells.join(","))
    .join("\r\n")
    .concat("\r\n");
}
