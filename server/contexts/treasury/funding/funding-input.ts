// Validation of deposits and budget allocations, pure: bad input names every bad field and nothing is
// written. Amounts are bigint minor units; over HTTP/JSON they arrive as strings of digits.
import { createHash, randomUUID } from "node:crypto";
import { canonicalJson } from "@/server/shared/canonical-json";
import { AppError } from "@/server/shared/errors";
import { type Currency, isCurrency } from "../ledger/currency";

/**
 * The largest single deposit or allocation: 10^15 minor units (ten trillion dollars). Far above any
 * real movement, and low enough that a balance summing thousands of them stays inside 64 bits.
 */
export const maxFundingMinor = 10n ** 15n;

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const keyPattern = /^[A-Za-z0-9_.:-]{1,100}$/;
const maxExpiresInMinutes = 366 * 24 * 60;
export const defaultAllocationExpiresInMinutes = 7 * 24 * 60;

export type DepositInput = {
  portfolioId: string;
  amountMinor: bigint;
  currency: Currency;
  source: string;
  idempotencyKey: string;
};

export type AllocationInput = {
  portfolioId: string;
  ventureId: string;
  amountMinor: bigint;
  currency: Currency;
  reason: string;
  /** Null when the caller gave none: every request is then a new allocation. */
  idempotencyKey: string | null;
  expiresInMinutes: number;
};

type Fields = Record<string, string>;

function unknownFields(raw: Record<string, unknown>, allowed: readonly string[], fields: Fields): void {
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) fields[key] = "unknown field";
}

/** A positive amount of minor units: a bigint, or a string of digits (never a JSON number). */
export function parseFundingAmount(value: unknown): bigint | string {
  const tooLarge = `at most ${maxFundingMinor} minor units`;
  if (typeof value === "bigint") {
    if (value <= 0n) return "must be a positive integer of minor units";
    return value <= maxFundingMinor ? value : tooLarge;
  }
  if (typeof value === "string") {
    if (/^-/.test(value.trim())) return "must be a positive integer of minor units";
    if (!/^\d+$/.test(value)) return "must be a string of digits (minor units), without sign or decimals";
    if (value.length > 19) return tooLarge;
    const parsed = BigInt(value);
    if (parsed === 0n) return "must be a positive integer of minor units";
    return parsed <= maxFundingMinor ? parsed : tooLarge;
  }
  if (typeof value === "number") {
    return "must be a string of digits (minor units), not a JSON number";
  }
  return "required: a positive integer of minor units, as a string of digits";
}

function parseCurrency(value: unknown): Currency | null {
  // XXX counts things (velocity limits), it is not money.
  return typeof value === "string" && isCurrency(value) && value !== "XXX" ? value : null;
}

function text(value: unknown, min: number, max: number): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed.length >= min && trimmed.length <= max ? trimmed : null;
}

function fail(what: string, fields: Fields): never {
  const summary = Object.entries(fields)
    .map(([field, problem]) => `${field}: ${problem}`)
    .join("; ");
  throw new AppError("BAD_REQUEST", `Invalid ${what}: ${summary}`, { fields });
}

function idempotencyKey(value: unknown, fields: Fields): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" && keyPattern.test(value)) return value;
  fields.idempotencyKey = "1-100 letters, digits, _ . : -";
  return null;
}

export function parseDepositInput(raw: Record<string, unknown>): DepositInput {
  const fields: Fields = {};
  unknownFields(raw, ["portfolioId", "amountMinor", "currency", "source", "idempotencyKey"], fields);
  const portfolioId =
    typeof raw.portfolioId === "string" && idPattern.test(raw.portfolioId) ? raw.portfolioId : null;
  if (!portfolioId) fields.portfolioId = "a portfolio id";
  const amountMinor = parseFundingAmount(raw.amountMinor);
  if (typeof amountMinor === "string") fields.amountMinor = amountMinor;
  const currency = parseCurrency(raw.currency);
  if (!currency) fields.currency = "an ISO 4217 code the ledger knows, in capitals (e.g. USD)";
  const source = text(raw.source, 3, 200);
  if (!source) fields.source = "where the money came from, 3-200 characters";
  const key = idempotencyKey(raw.idempotencyKey, fields);
  if (Object.keys(fields).length > 0) fail("deposit", fields);
  return {
    portfolioId: portfolioId!,
    amountMinor: amountMinor as bigint,
    currency: currency!,
    source: source!,
    // Without a key every request is a deposit of its own.
    idempotencyKey: key ?? `auto-${randomUUID()}`,
  };
}

export function parseAllocationInput(raw: Record<string, unknown>): AllocationInput {
  const fields: Fields = {};
  unknownFields(
    raw,
    ["portfolioId", "ventureId", "amountMinor", "currency", "reason", "idempotencyKey", "expiresInMinutes"],
    fields,
  );
  const portfolioId =
    typeof raw.portfolioId === "string" && idPattern.test(raw.portfolioId) ? raw.portfolioId : null;
  if (!portfolioId) fields.portfolioId = "a portfolio id";
  const ventureId = typeof raw.ventureId === "string" && idPattern.test(raw.ventureId) ? raw.ventureId : null;
  if (!ventureId) fields.ventureId = "a venture id";
  const amountMinor = parseFundingAmount(raw.amountMinor);
  if (typeof amountMinor === "string") fields.amountMinor = amountMinor;
  const currency = parseCurrency(raw.currency);
  if (!currency) fields.currency = "an ISO 4217 code the ledger knows, in capitals (e.g. USD)";
  const reason = text(raw.reason, 3, 500);
  if (!reason) fields.reason = "why the venture needs the budget, 3-500 characters";
  const key = idempotencyKey(raw.idempotencyKey, fields);
  const expires = raw.expiresInMinutes ?? defaultAllocationExpiresInMinutes;
  if (
    typeof expires !== "number" ||
    !Number.isInteger(expires) ||
    expires < 1 ||
    expires > maxExpiresInMinutes
  ) {
    fields.expiresInMinutes = `an integer from 1 to ${maxExpiresInMinutes}`;
  }
  if (Object.keys(fields).length > 0) fail("allocation", fields);
  return {
    portfolioId: portfolioId!,
    ventureId: ventureId!,
    amountMinor: amountMinor as bigint,
    currency: currency!,
    reason: reason!,
    idempotencyKey: key,
    expiresInMinutes: expires as number,
  };
}

/** Hash of a deposit's content: the same idempotency key with other content is a conflict. */
export function depositRequestHash(input: DepositInput): string {
  return createHash("sha256")
    .update(canonicalJson({ ...input, amountMinor: input.amountMinor.toString() }))
    .digest("hex");
}
