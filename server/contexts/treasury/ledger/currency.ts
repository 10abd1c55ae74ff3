// Currencies and minor units. Money is a bigint count of the currency's minor unit everywhere; this
// file is the one place that knows how many decimals each currency has.
import { invariant } from "@/server/shared/errors";

/** ISO 4217 codes the ledger accepts, with their minor-unit scale (decimal places). */
export const currencyScales = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  INR: 2,
  CNY: 2,
  HKD: 2,
  SGD: 2,
  BRL: 2,
  MXN: 2,
  ZAR: 2,
  ILS: 2,
  AED: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  BHD: 3,
  KWD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
  // ISO 4217 "no currency": for ledgers that count things rather than money, such as the number of
  // payments in a velocity window (a count limit is an account drained by expiring holds of 1).
  XXX: 0,
} as const;

export type Currency = keyof typeof currencyScales;

export const currencies = Object.keys(currencyScales) as Currency[];

export function isCurrency(code: string): code is Currency {
  return Object.hasOwn(currencyScales, code);
}

export function currencyScale(currency: Currency): number {
  return currencyScales[currency];
}

/** The largest amount PostgreSQL's BIGINT holds; amounts and balances must stay within it. */
export const int64Max = 2n ** 63n - 1n;
export const int64Min = -(2n ** 63n);

export function isInt64(value: bigint): boolean {
  return value >= int64Min && value <= int64Max;
}

/**
 * Formats minor units for people, exactly (string arithmetic, no floats): 123456n USD → "1234.56 USD",
 * -5n EUR → "-0.05 EUR", 1200n JPY → "1200 JPY".
 */
export function formatMinor(amountMinor: bigint, currency: Currency): string {
  const scale = currencyScale(currency);
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString();
  if (scale === 0) return `${negative ? "-" : ""}${digits} ${currency}`;
  const padded = digits.padStart(scale + 1, "0");
  const whole = padded.slice(0, -scale);
  const fraction = padded.slice(-scale);
  return `${negative ? "-" : ""}${whole}.${fraction} ${currency}`;
}

/** Parses a string of digits from the database or an event payload; anything else is a bug. */
export function parseMinor(text: string): bigint {
  invariant(/^-?\d+$/.test(text), `${JSON.stringify(text)} is an amount in minor units`);
  return BigInt(text);
}
