// A sandbox customer pays a venture (TREAS-008, UJ-1): the sandbox rail books the payment and the
// revenue is posted in the same transaction (the sandbox's books live in our database).
// Idempotent by idempotencyKey: the same key returns the same receipt. Bad input names the field
// and writes nothing.
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { CommandContext } from "@/server/shared/events/store";
import { isCurrency, isInt64 } from "../ledger/currency";
import { RailError } from "./rail";
import { recordRevenue } from "./record-revenue";
import type { Rails } from "./settings";

export type SandboxPaymentInput = {
  portfolioId: string;
  ventureId: string;
  amountMinor: string;
  currency: string;
  customer?: string | null;
  idempotencyKey: string;
};

export type ReceiptView = {
  receiptId: string;
  portfolioId: string;
  ventureId: string;
  rail: "sandbox";
  railReference: string;
  amountMinor: bigint;
  currency: string;
  entryId: string;
  duplicate: boolean;
};

export async function receiveSandboxPayment(
  options: CommandContext & { db: Db; rails: Rails; input: SandboxPaymentInput },
): Promise<ReceiptView> {
  const { input } = options;
  const fields: Record<string, string> = {};
  const amount =
    typeof input.amountMinor === "string" && /^\d{1,19}$/.test(input.amountMinor)
      ? BigInt(input.amountMinor)
      : null;
  if (amount === null || amount <= 0n || !isInt64(amount))
    fields.amountMinor = "a positive integer of minor units, as a string of digits";
  if (typeof input.currency !== "string" || !isCurrency(input.currency))
    fields.currency = "an ISO 4217 code the ledger knows (e.g. USD)";
  if (typeof input.idempotencyKey !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(input.idempotencyKey)) {
    fields.idempotencyKey = "1-128 letters, digits, _ . : -";
  }
  const customer = input.customer == null ? null : String(input.customer).trim();
  if (customer !== null && (customer.length < 1 || customer.length > 200))
    fields.customer = "1-200 characters";
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([f, m]) => `${f}: ${m}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid payment: ${summary}`, { fields });
  }
  return withTransaction(options.db, async (tx) => {
    const [venture] = await tx.$queryRawUnsafe<Array<{ portfolio_id: string }>>(
      "SELECT portfolio_id FROM ventures WHERE id = $1",
      input.ventureId,
    );
    if (!venture || venture.portfolio_id !== input.portfolioId) {
      throw new AppError("NOT_FOUND", `Venture ${input.ventureId} not found`, {
        fields: { ventureId: "unknown venture" },
      });
    }
    let payment: Awaited<ReturnType<Rails["sandbox"]["receivePayment"]>>;
    try {
      payment = await options.rails.sandbox.receivePayment(tx, {
        idempotencyKey: `${input.portfolioId}:${input.idempotencyKey}`,
        portfolioId: input.portfolioId,
        ventureId: input.ventureId,
        amountMinor: amount!,
        currency: input.currency,
        customer,
        description: customer ? `payment from ${customer}` : "payment",
      });
    } catch (error) {
      if (error instanceof RailError) {
        throw new AppError("CONFLICT", error.message, {
          fields: { idempotencyKey: "already used with different content" },
        });
      }
      throw error;
    }
    const recorded = await recordRevenue(tx, options, {
      rail: "sandbox",
      railReference: payment.reference,
      ventureId: input.ventureId,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      customer,
      railCreatedAt: payment.createdAt,
    });
    return {
      receiptId: recorded.receiptId,
      portfolioId: recorded.portfolioId,
      ventureId: input.ventureId,
      rail: "sandbox" as const,
      railReference: payment.reference,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      entryId: recorded.entryId,
      duplicate: recorded.duplicate,
    };
  });
}
