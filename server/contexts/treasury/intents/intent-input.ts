// Validation of a money intent request (TREAS-001), pure: bad input names every field and nothing
// is written. Amounts are bigint minor units; over HTTP/JSON they arrive as a string of digits.
import { createHash } from "node:crypto";
import { canonicalJson } from "@/server/shared/canonical-json";
import { AppError } from "@/server/shared/errors";
import { type Currency, isCurrency, isInt64 } from "../ledger/currency";

export const moneyIntentCategories = [
  "model_inference",
  "compute",
  "saas",
  "advertising",
  "domains",
  "data",
  "contractors",
  "payment_fees",
  "budget_allocation",
  "budget_transfer",
] as const;
export type MoneyIntentCategory = (typeof moneyIntentCategories)[number];

export const defaultExpiresInMinutes = 24 * 60;
const maxExpiresInMinutes = 366 * 24 * 60;
const inputFields = [
  "portfolioId",
  "ventureId",
  "amountMinor",
  "currency",
  "counterparty",
  "category",
  "purpose",
  "idempotencyKey",
  "expiresInMinutes",
] as const;

export type MoneyIntentInput = {
  portfolioId: string;
  ventureId: string;
  amountMinor: bigint;
  currency: Currency;
  counterparty: string;
  category: MoneyIntentCategory;
  purpose: string;
  idempotencyKey: string;
  expiresInMinutes: number;
};

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const keyPattern = /^[A-Za-z0-9_.:-]{1,128}$/;

function text(value: unknown, max: number): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= max ? trimmed : null;
}

function amount(value: unknown): bigint | string {
  if (typeof value === "bigint") return value > 0n && isInt64(value) ? value : "must be a positive integer";
  if (typeof value === "string") {
    if (!/^\d{1,19}$/.test(value)) return "must be a string of digits (minor units)";
    const parsed = BigInt(value);
    return parsed > 0n && isInt64(parsed) ? parsed : "must be a positive integer of at most 64 bits";
  }
  if (typeof value === "number")
    return "must be a bigint or a string of digits (minor units), not a JSON number";
  return "required: a positive integer of minor units";
}

/** Parses and validates; throws BAD_REQUEST with details.fields naming each bad field. */
export function parseMoneyIntentInput(raw: Record<string, unknown>): MoneyIntentInput {
  const fields: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    if (!(inputFields as readonly string[]).includes(key)) fields[key] = "unknown field";
  }
  const portfolioId =
    typeof raw.portfolioId === "string" && idPattern.test(raw.portfolioId) ? raw.portfolioId : null;
  if (!portfolioId) fields.portfolioId = "a portfolio id";
  const ventureId = typeof raw.ventureId === "string" && idPattern.test(raw.ventureId) ? raw.ventureId : null;
  if (!ventureId) fields.ventureId = "a venture id";
  const amountMinor = amount(raw.amountMinor);
  if (typeof amountMinor === "string") fields.amountMinor = amountMinor;
  const currency = typeof raw.currency === "string" && isCurrency(raw.currency) ? raw.currency : null;
  if (!currency) fields.currency = "an ISO 4217 code the ledger knows (e.g. USD)";
  const counterparty = text(raw.counterparty, 200);
  if (!counterparty) fields.counterparty = "1-200 characters";
  const category = (moneyIntentCategories as readonly unknown[]).includes(raw.category)
    ? (raw.category as MoneyIntentCategory)
    : null;
  if (!category) fields.category = `one of ${moneyIntentCategories.join(", ")}`;
  const purpose = text(raw.purpose, 2_000);
  if (!purpose) fields.purpose = "1-2000 characters";
  const idempotencyKey =
    typeof raw.idempotencyKey === "string" && keyPattern.test(raw.idempotencyKey) ? raw.idempotencyKey : null;
  if (!idempotencyKey) fields.idempotencyKey = "1-128 letters, digits, _ . : -";
  const expires = raw.expiresInMinutes ?? defaultExpiresInMinutes;
  if (
    typeof expires !== "number" ||
    !Number.isInteger(expires) ||
    expires < 1 ||
    expires > maxExpiresInMinutes
  ) {
    fields.expiresInMinutes = `an integer from 1 to ${maxExpiresInMinutes}`;
  }
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([field, problem]) => `${field}: ${problem}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid money intent: ${summary}`, { fields });
  }
  return {
    portfolioId: portfolioId!,
    ventureId: ventureId!,
    amountMinor: amountMinor as bigint,
    currency: currency!,
    counterparty: counterparty!,
    category: category!,
    purpose: purpose!,
    idempotencyKey: idempotencyKey!,
    expiresInMinutes: expires as number,
  };
}

/** Hash of the request's content: the same idempotency key with another content is a conflict. */
export function requestHash(input: MoneyIntentInput): string {
  return createHash("sha256")
    .update(canonicalJson({ ...input, amountMinor: input.amountMinor.toString() }))
    .digest("hex");
}
