// Report periods, pure: whole UTC days written "YYYY-MM-DD", both ends included. The ledger's daily
// totals are keyed by the UTC date of each entry, so a period is a range of those keys.
import { AppError } from "@/server/shared/errors";

export type Day = string;

export type Period = { from: Day; to: Day; days: number };

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const dayMs = 86_400_000;

export function dayOf(date: Date): Day {
  return date.toISOString().slice(0, 10);
}

export function isDay(value: unknown): value is Day {
  if (typeof value !== "string" || !dayPattern.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && dayOf(date) === value;
}

export function addDays(day: Day, n: number): Day {
  return dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * dayMs));
}

/** Days from `from` to `to`, both included (1 when they are the same day). */
export function daysInclusive(from: Day, to: Day): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs) + 1;
}

export function eachDay(from: Day, to: Day): Day[] {
  const out: Day[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) out.push(day);
  return out;
}

/**
 * The period asked for, or the last `defaultDays` days up to today. Bad input → BAD_REQUEST naming
 * the field (from, to), e.g. a day that does not exist, to before from, or a span above maxDays.
 */
export function resolvePeriod(
  input: { from?: unknown; to?: unknown },
  now: Date,
  limits: { defaultDays: number; maxDays: number },
): Period {
  const fields: Record<string, string> = {};
  const given = (value: unknown) => value !== undefined && value !== null && value !== "";
  if (given(input.from) && !isDay(input.from)) fields.from = "a day, YYYY-MM-DD";
  if (given(input.to) && !isDay(input.to)) fields.to = "a day, YYYY-MM-DD";
  if (Object.keys(fields).length === 0) {
    const to = given(input.to) ? (input.to as Day) : dayOf(now);
    const from = given(input.from) ? (input.from as Day) : addDays(to, -(limits.defaultDays - 1));
    if (from > to) fields.to = `on or after from (${from})`;
    else if (daysInclusive(from, to) > limits.maxDays)
      fields.from = `at most ${limits.maxDays} days before to`;
    else return { from, to, days: daysInclusive(from, to) };
  }
  const summary = Object.entries(fields)
    .map(([field, problem]) => `${field}: ${problem}`)
    .join("; ");
  throw new AppError("BAD_REQUEST", `Invalid period: ${summary}`, { fields });
}

/** A window of `windowDays` days ending today; bad sizes name the field. */
export function resolveWindow(windowDays: unknown, now: Date, maxDays = 366): Period {
  const size = windowDays ?? 30;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > maxDays) {
    throw new AppError("BAD_REQUEST", `Invalid window: windowDays: an integer from 1 to ${maxDays}`, {
      fields: { windowDays: `an integer from 1 to ${maxDays}` },
    });
  }
  const to = dayOf(now);
  return { from: addDays(to, -(size - 1)), to, days: size };
}
