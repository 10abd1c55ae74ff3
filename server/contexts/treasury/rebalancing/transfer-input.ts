// Validation of a budget transfer request (ADR 0016), pure: bad input names every bad field and
// nothing is written. Amounts are bigint minor units; over HTTP/JSON they arrive as strings of digits.
import { AppError } from "@/server/shared/errors";
import { parseFundingAmount } from "../funding/funding-input";
import { type Currency, isCurrency } from "../ledger/currency";

/** The money intent category of every budget transfer (the treasury policy knows it). */
export const budgetTransferCategory = "budget_transfer";

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const keyPattern = /^[A-Za-z0-9_.:-]{1,100}$/;
const maxExpiresInMinutes = 366 * 24 * 60;
export const defaultTransferExpiresInMinutes = 7 * 24 * 60;

const allowedFields = [
  "portfolioId",
  "fromVentureId",
  "toVentureId",
  "amountMinor",
  "currency",
  "reason",
  "idempotencyKey",
  "expiresInMinutes",
] as const;

export type TransferInput = {
  portfolioId: string;
  fromVentureId: string;
  toVentureId: string;
  amountMinor: bigint;
  currency: Currency;
  reason: string;
  /** Null when the caller gave none: every request is then a new transfer. */
  idempotencyKey: string | null;
  expiresInMinutes: number;
};

function id(value: unknown): string | null {
  return typeof value === "string" && idPattern.test(value) ? value : null;
}

/** Parses and validates; throws BAD_REQUEST with details.fields naming each bad field. */
export function parseTransferInput(raw: Record<string, unknown>): TransferInput {
  const fields: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    if (!(allowedFields as readonly string[]).includes(key)) fields[key] = "unknown field";
  }
  const portfolioId = id(raw.portfolioId);
  if (!portfolioId) fields.portfolioId = "a portfolio id";
  const fromVentureId = id(raw.fromVentureId);
  if (!fromVentureId) fields.fromVentureId = "the venture the budget comes from";
  const toVentureId = id(raw.toVentureId);
  if (!toVentureId) fields.toVentureId = "the venture the budget goes to";
  else if (toVentureId === fromVentureId) fields.toVentureId = "must be another venture than fromVentureId";
  const amountMinor = parseFundingAmount(raw.amountMinor);
  if (typeof amountMinor === "string") fields.amountMinor = amountMinor;
  // XXX counts things (velocity limits), it is not money.
  const currency =
    typeof raw.currency === "string" && isCurrency(raw.currency) && raw.currency !== "XXX"
      ? raw.currency
      : null;
  if (!currency) fields.currency = "an ISO 4217 code the ledger knows, in capitals (e.g. USD)";
  const reason = typeof raw.reason === "string" ? raw.reason.trim() : "";
  if (reason.length < 3 || reason.length > 500) fields.reason = "why the budget moves, 3-500 characters";
  let idempotencyKey: string | null = null;
  if (raw.idempotencyKey !== undefined && raw.idempotencyKey !== null) {
    if (typeof raw.idempotencyKey === "string" && keyPattern.test(raw.idempotencyKey)) {
      idempotencyKey = raw.idempotencyKey;
    } else fields.idempotencyKey = "1-100 letters, digits, _ . : -";
  }
  const expires = raw.expiresInMinutes ?? defaultTransferExpiresInMinutes;
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
    throw new AppError("BAD_REQUEST", `Invalid budget transfer: ${summary}`, { fields });
  }
  return {
    portfolioId: portfolioId!,
    fromVentureId: fromVentureId!,
    toVentureId: toVentureId!,
    amountMinor: amountMinor as bigint,
    currency: currency!,
    reason,
    idempotencyKey,
    expiresInMinutes: expires as number,
  };
}
