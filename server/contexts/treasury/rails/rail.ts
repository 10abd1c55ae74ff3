// The rail adapter interface (TREAS-008, ADR 0011): what the treasury needs from anything that
// moves money outside our database. A rail pays an approved intent's payout (idempotent by a key
// we choose: the intent id), tells us what became of it, and lists a statement of everything it
// booked for a portfolio and period, which reconciliation compares with the ledger.
import type { RailName } from "@/server/shared/events/catalog/treasury-rails";

export type { RailName };

export type RailPayoutStatus = "pending" | "paid" | "failed";

export type PayoutRequest = {
  /** The rail's idempotency key: the intent id, so a retried or redelivered submit pays once. */
  idempotencyKey: string;
  intentId: string;
  portfolioId: string;
  ventureId: string;
  amountMinor: bigint;
  currency: string;
  counterparty: string;
  description: string;
};

export type RailPayout = {
  reference: string;
  status: RailPayoutStatus;
  /** Positive: what the rail pays out. */
  amountMinor: bigint;
  currency: string;
  failureReason: string | null;
  /** When the rail created it: reconciliation reads both sides by rail time. */
  createdAt: Date;
};

export type StatementLineKind = "payout" | "payment" | "adjustment";

/** One booking on a rail's statement, signed: money out negative, money in positive. */
export type StatementLine = {
  /** The rail transaction it belongs to (a payout, a payment): lines are summed per reference. */
  reference: string;
  kind: StatementLineKind;
  amountMinor: bigint;
  currency: string;
  createdAt: Date;
  ventureId: string | null;
  /** For a payout: the intent it pays (our idempotency key), when the rail kept it. */
  intentId: string | null;
  description: string | null;
};

export interface RailAdapter {
  readonly name: RailName;
  /** Submits a payout; the same idempotency key returns the payout already made. */
  submitPayout(request: PayoutRequest): Promise<RailPayout>;
  fetchPayout(reference: string): Promise<RailPayout>;
  /** Every booking of the portfolio created in [from, to). */
  listStatement(options: { portfolioId: string; from: Date; to: Date }): Promise<StatementLine[]>;
}

/**
 * A rail call that did not work. retryable: the rail may not have heard us (network, 5xx, rate
 * limit), so the same idempotent request is sent again later; otherwise the rail refused it
 * (a bad request, insufficient funds) and the payout fails.
 */
export class RailError extends Error {
  override readonly name = "RailError";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
