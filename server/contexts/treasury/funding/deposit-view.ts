// How a deposit reads: one column list and one mapping for every read.
import type { Currency } from "../ledger/currency";

export type DepositView = {
  id: string;
  portfolioId: string;
  amountMinor: bigint;
  currency: Currency;
  source: string;
  idempotencyKey: string;
  entryId: string;
  depositedBy: string;
  createdAt: Date;
};

export type DepositRow = {
  id: string;
  portfolio_id: string;
  amount_minor: bigint;
  currency: string;
  source: string;
  idempotency_key: string;
  request_hash: string;
  entry_id: string;
  deposited_by: string;
  created_at: Date;
};

export const depositColumns =
  "id, portfolio_id, amount_minor, currency::text AS currency, source, idempotency_key, request_hash, entry_id, deposited_by, created_at";

export function toDepositView(row: DepositRow): DepositView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    amountMinor: row.amount_minor,
    currency: row.currency as Currency,
    source: row.source,
    idempotencyKey: row.idempotency_key,
    entryId: row.entry_id,
    depositedBy: row.deposited_by,
    createdAt: row.created_at,
  };
}
