// Money in the treasury pages: amounts typed by people in major units ("1,500.25") become exact
// minor units (a string of digits) without floating point; chart values are display only.
const scales: Record<string, number> = {
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
};

export function currencyScale(currency: string): number {
  return scales[currency] ?? 2;
}

/** "1,500.25" USD → "150025"; null when the text is not a positive amount with at most the currency's decimals. */
export function toMinorUnits(text: string, currency: string): string | null {
  const scale = currencyScale(currency);
  const clean = text.trim().replaceAll(",", "").replaceAll(" ", "");
  const match = /^(\d+)(?:\.(\d*))?$/.exec(clean);
  if (!match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > scale) return null;
  const digits = `${match[1]}${fraction.padEnd(scale, "0")}`.replace(/^0+(?=\d)/, "");
  return /^0+$/.test(digits) ? null : digits;
}

/** For charts only: minor units as a number of major units. */
export function chartValue(amountMinor: bigint, currency: string): number {
  return Number(amountMinor) / 10 ** currencyScale(currency);
}

export const fundingCurrencies = ["USD", "EUR", "GBP"] as const;
